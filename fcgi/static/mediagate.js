/* mediagate.js: the pages' script. Upload page: XHR upload with progress, decoding in the
   browser; view page: draws raw pixels on the canvas. Plain DOM, no build step; the pages work
   without it. */
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

	const form = document.getElementById('upload');
	if (form)
		setupUpload(form);
	const canvas = document.getElementById('pixels');
	if (canvas)
		setupPixels(canvas);
})();
