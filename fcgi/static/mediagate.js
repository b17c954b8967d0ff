/* mediagate.js: the pages' script. Upload page: XHR upload with progress, decoding in the
   browser; view page: draws raw pixels on the canvas; record page: MediaRecorder chunks sent as
   tus PATCHes. Plain DOM, no build step; the upload and view pages work without it. */
'use strict';

(() => {
	/* A 2D context whose pixels survive a putImageData/getImageData round trip: canvases keep
	   premultiplied alpha, which at 8 bits loses colour wherever alpha < 255; a float16 backing
	   store keeps every value exactly (except colour under alpha 0, which has none). Browsers
	   without colorType fall back to the default 8-bit store. */
	function context2d(canvas) {
		return canvas.getContext('2d', {colorType: 'float16', willReadFrequently: true});
	}

	/* Upload page ------------------------------------------------------------------------- */

	/* The annotated binary: u32 big-endian metadata length, metadata JSON, payload. */
	function annotated(meta, payload) {
		const json = new TextEncoder().encode(JSON.stringify(meta));
		const head = new Uint8Array(4);
		new DataView(head.buffer).setUint32(0, json.length, false);
		return new Blob([head, json, payload], {type: 'application/x-annotated-binary'});
	}

	/* Decode an audio file with the Web Audio API at rate Hz, keeping its channels, and return
	   the annotated binary of its samples as interleaved little-endian 32-bit floats.
	   decodeAudioData resamples to its context's rate, so decoding in an OfflineAudioContext made
	   at the chosen rate is the resampling (a windowed-sinc converter in Chromium; rendering a
	   buffer source through a second context would interpolate linearly). */
	async function decodePcm(file, rate) {
		const ctx = new OfflineAudioContext(1, 1, rate);
		const audio = await ctx.decodeAudioData(await file.arrayBuffer());
		const channels = audio.numberOfChannels, frames = audio.length;
		const out = new DataView(new ArrayBuffer(frames * channels * 4));
		for (let c = 0; c < channels; c++) {
			const data = audio.getChannelData(c);
			for (let i = 0, off = c * 4; i < frames; i++, off += channels * 4)
				out.setFloat32(off, data[i], true);   /* little-endian, whatever the platform */
		}
		return annotated({kind: 'audio', format: 'pcm_f32le', sampling_rate: audio.sampleRate,
		                  num_channels: channels, filename: file.name}, out.buffer);
	}

	/* Decode an image file and return the annotated binary of its RGBA pixels (8 bits each,
	   not premultiplied, rows top to bottom), as a canvas holds them. */
	async function decodePixels(file) {
		const bitmap = await createImageBitmap(file, {premultiplyAlpha: 'none',
		                                              colorSpaceConversion: 'none'});
		const canvas = document.createElement('canvas');
		canvas.width = bitmap.width;
		canvas.height = bitmap.height;
		const ctx = context2d(canvas);
		ctx.drawImage(bitmap, 0, 0);
		bitmap.close();
		const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
		return annotated({kind: 'image', format: 'rgba', width: canvas.width,
		                  height: canvas.height, filename: file.name}, pixels);
	}

	function setupUpload(form) {
		const file = form.elements.file, kind = form.elements.kind;
		const sendAs = document.getElementById('send-as');
		const pcm = document.getElementById('send-pcm');
		const pixels = document.getElementById('send-pixels');
		const rate = document.getElementById('decode-rate');
		const progress = document.getElementById('progress');
		const status = document.getElementById('status');

		function say(text, isError) {
			status.textContent = text;
			status.classList.toggle('error', Boolean(isError));
		}

		/* Offer decoding only for the kind it applies to. */
		function offer() {
			pcm.disabled = rate.disabled = kind.value !== 'audio';
			pixels.disabled = kind.value !== 'image';
			if ((pcm.checked && pcm.disabled) || (pixels.checked && pixels.disabled))
				form.elements.send_as.value = 'file';
		}

		/* The kind follows the chosen file's media type, as the server's default does. */
		file.addEventListener('change', () => {
			const type = file.files.length > 0 ? file.files[0].type : '';
			const top = type.split('/')[0];
			if (['audio', 'image', 'video'].includes(top))
				kind.value = top;
			offer();
		});
		kind.addEventListener('change', offer);
		sendAs.hidden = sendAs.disabled = false;
		offer();

		/* POST body to the form's action (PREFIX/inputs) and go to the new input's view page. */
		function send(body, contentType) {
			const xhr = new XMLHttpRequest();
			let events = 0;
			xhr.open('POST', form.action);
			xhr.setRequestHeader('Accept', 'application/json');
			if (contentType)
				xhr.setRequestHeader('Content-Type', contentType);
			xhr.responseType = 'json';
			xhr.upload.addEventListener('progress', (e) => {
				events++;
				form.dataset.progressEvents = String(events);
				if (e.lengthComputable) {
					progress.max = e.total;
					progress.value = e.loaded;
				}
			});
			xhr.addEventListener('load', () => {
				const res = xhr.response;
				if (xhr.status === 201 && res && typeof res.view_url === 'string') {
					form.dataset.state = 'done';
					say('Uploaded.');
					location.assign(res.view_url);
					return;
				}
				form.dataset.state = 'error';
				say(res && res.error ? `${xhr.status} ${res.error}: ${res.detail}`
				                     : `upload failed: ${xhr.status} ${xhr.statusText}`, true);
			});
			xhr.addEventListener('error', () => {
				form.dataset.state = 'error';
				say('upload failed: the connection broke', true);
			});
			form.dataset.state = 'uploading';
			form.dataset.progressEvents = '0';
			progress.value = 0;
			progress.hidden = false;
			say('Uploading…');
			xhr.send(body);
		}

		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			if (file.files.length === 0) {
				say('choose a file first', true);
				return;
			}
			const f = file.files[0], how = form.elements.send_as.value;
			try {
				if (how === 'pcm') {
					say('Decoding…');
					send(await decodePcm(f, Number(rate.value)), 'application/x-annotated-binary');
				} else if (how === 'pixels') {
					say('Decoding…');
					send(await decodePixels(f), 'application/x-annotated-binary');
				} else {
					const data = new FormData();
					data.append('kind', kind.value);   /* before the file, as the form sends it */
					data.append('file', f, f.name);
					send(data, null);
				}
			} catch (err) {
				form.dataset.state = 'error';
				say(`could not decode ${f.name} in this browser: ${err.message}`, true);
			}
		});
	}

	/* View page: raw pixels ------------------------------------------------------------------ */

	/* Fetch the raw rgb or rgba bytes and draw them, rgb widened to rgba with alpha 255. */
	async function drawPixels(canvas) {
		const width = Number(canvas.dataset.width), height = Number(canvas.dataset.height);
		const channels = canvas.dataset.format === 'rgba' ? 4 : 3;
		const res = await fetch(canvas.dataset.src);
		if (!res.ok)
			throw new Error(`the pixels could not be read: ${res.status} ${res.statusText}`);
		const bytes = new Uint8Array(await res.arrayBuffer());
		if (bytes.length !== width * height * channels)
			throw new Error(`${bytes.length} bytes are not ${width}x${height} ` +
			                canvas.dataset.format);
		const ctx = context2d(canvas);
		const image = ctx.createImageData(width, height);
		if (channels === 4) {
			image.data.set(bytes);
		} else {
			for (let i = 0, o = 0; i < bytes.length; i += 3, o += 4) {
				image.data[o] = bytes[i];
				image.data[o + 1] = bytes[i + 1];
				image.data[o + 2] = bytes[i + 2];
				image.data[o + 3] = 255;
			}
		}
		ctx.putImageData(image, 0, 0);
	}

	function setupPixels(canvas) {
		const status = document.getElementById('pixels-status');
		canvas.dataset.state = 'loading';
		drawPixels(canvas).then(() => {
			canvas.dataset.state = 'drawn';
		}, (err) => {
			canvas.dataset.state = 'error';
			if (status) {
				status.textContent = err.message;
				status.classList.add('error');
			}
		});
	}

	/* Record page ---------------------------------------------------------------------------- */

	/* tus 1.0.0 (tus/tus-resumable-upload-protocol): one upload with a deferred length
	   (creation-defer-length); each MediaRecorder chunk (timeslice 1 s) is one PATCH at the
	   current Upload-Offset, in order; after the recorder stops, an empty PATCH declares the
	   Upload-Length, which completes the upload into an input. */
	function setupRecord(form) {
		const uploads = form.dataset.uploads, inputs = form.dataset.inputs;
		const source = form.elements.source;
		const start = document.getElementById('start'), stop = document.getElementById('stop');
		const sent = document.getElementById('sent'), status = document.getElementById('status');
		const live = document.getElementById('live'), done = document.getElementById('done');
		const tus = {'Tus-Resumable': '1.0.0'};
		let recorder = null, stream = null, uploadUrl = null, offset = 0, queue = [];
		let pumping = null, stopped = false;

		function say(text, isError) {
			status.textContent = text;
			status.classList.toggle('error', Boolean(isError));
		}

		/* base64 of a string's UTF-8 bytes (Upload-Metadata values). */
		function b64(s) {
			return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
		}

		async function failure(res, what) {
			let body = null;
			try {
				body = await res.json();
			} catch (e) { /* not JSON: the web server's own answer */ }
			return new Error(body && body.error ? `${what}: ${res.status} ${body.error}: ` +
			                 body.detail : `${what}: ${res.status} ${res.statusText}`);
		}

		/* A token for the input of the upload (in progress or complete) and its URLs. */
		async function token(id) {
			const res = await fetch(`${inputs}/${id}/tokens`, {method: 'POST'});
			if (res.status !== 201)
				throw await failure(res, 'token');
			return (await res.json()).content_url;
		}

		async function create(type) {
			const name = `recording-${new Date().toISOString().replace(/[:.]/g, '-')}.webm`;
			const meta = [`kind ${b64('video')}`, `filetype ${b64(type)}`,
			              `filename ${b64(name)}`].join(',');
			const res = await fetch(uploads, {method: 'POST', headers: {...tus,
			                        'Upload-Defer-Length': '1', 'Upload-Metadata': meta}});
			if (res.status !== 201)
				throw await failure(res, 'creating the upload');
			uploadUrl = res.headers.get('Location');
			const id = (await res.json()).id;
			form.dataset.inputId = id;
			try {
				const url = await token(id);
				live.href = `${url}&follow=1`;
				live.hidden = false;
			} catch (e) { /* no live link: the recording still goes on */ }
		}

		async function patch(body, length) {
			const headers = {...tus, 'Upload-Offset': String(offset),
			                 'Content-Type': 'application/offset+octet-stream'};
			if (length !== undefined)
				headers['Upload-Length'] = String(length);
			const res = await fetch(uploadUrl, {method: 'PATCH', headers, body});
			if (res.status !== 204)
				throw await failure(res, 'sending');
			offset = Number(res.headers.get('Upload-Offset'));
			sent.value = String(offset);
			form.dataset.offset = String(offset);
			return res;
		}

		/* Send the queued chunks one after another; after the stop, finish the upload. */
		async function pump() {
			while (queue.length > 0)
				await patch(queue.shift());
			if (!stopped || recorder.state !== 'inactive')
				return;
			const res = await patch(new Blob([]), offset);
			if (!res.headers.get('Mediagate-Input'))
				throw new Error('the upload did not complete');
			const url = await token(form.dataset.inputId);
			done.href = url.replace('/content?', '/view?');
			done.hidden = false;
			form.dataset.contentUrl = url;
			form.dataset.state = 'done';
			say(`Recorded ${offset} bytes.`);
		}

		function kick() {
			if (pumping)
				return;
			pumping = pump().catch((err) => {
				form.dataset.state = 'error';
				say(err.message, true);
				if (recorder && recorder.state !== 'inactive')
					recorder.stop();
			}).finally(() => {
				pumping = null;
				if (form.dataset.state !== 'error' && form.dataset.state !== 'done' &&
				    (queue.length > 0 || (stopped && recorder.state === 'inactive')))
					kick();
			});
		}

		start.addEventListener('click', async () => {
			start.disabled = source.disabled = true;
			form.dataset.state = 'starting';
			try {
				if (!navigator.mediaDevices || !window.MediaRecorder)
					throw new Error('this browser cannot record here (recording needs HTTPS ' +
					                'or localhost, and MediaRecorder)');
				const video = source.value === 'video';
				stream = await navigator.mediaDevices.getUserMedia({audio: true, video});
				recorder = new MediaRecorder(stream);
				await create(recorder.mimeType.split(';')[0] ||
				             (video ? 'video/webm' : 'audio/webm'));
			} catch (err) {
				form.dataset.state = 'error';
				say(err.message, true);
				start.disabled = source.disabled = false;
				if (stream)
					stream.getTracks().forEach((t) => t.stop());
				return;
			}
			recorder.addEventListener('dataavailable', (e) => {
				if (e.data.size > 0) {
					queue.push(e.data);
					kick();
				}
			});
			recorder.addEventListener('stop', () => {
				stream.getTracks().forEach((t) => t.stop());
				stopped = true;
				form.dataset.state = form.dataset.state === 'error' ? 'error' : 'finishing';
				kick();
			});
			recorder.start(1000);   /* a chunk every second */
			form.dataset.state = 'recording';
			stop.disabled = false;
			say('Recording…');
		});
		stop.addEventListener('click', () => {
			stop.disabled = true;
			if (recorder && recorder.state !== 'inactive')
				recorder.stop();
		});
	}

	const form = document.getElementById('upload');
	if (form)
		setupUpload(form);
	const record = document.getElementById('record');
	if (record)
		setupRecord(record);
	const canvas = document.getElementById('pixels');
	if (canvas)
		setupPixels(canvas);
})();
