// run.mjs: mediagate's pages in a real browser: Debian's headless Chromium, playwright-core.
//
//   node tests/browser/run.mjs        (tests/browser/run.sh installs playwright-core first)
//
// Starts the server itself (deploy/run.sh: lighttpd + spawn-fcgi) on a free loopback port with a
// throwaway data folder, makes its media with espeak-ng and sox, runs the scenarios below and
// ends with the line "N passed, M failed"; exits 0 only when nothing failed. Screenshots of every
// page, the media and server.log go to tests/out/browser/.
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { sleep, startServer, stopServer } from '../node/server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const OUT = path.join(ROOT, 'tests/out/browser');
const MEDIA = path.join(OUT, 'media');
const BIN = process.env.BIN || path.join(ROOT, 'build/mediagate');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking', '--disable-component-update',
	'--disable-sync', '--autoplay-policy=no-user-gesture-required',
	// The record page: a fake camera (a test pattern) and microphone (a beep), no prompt.
	'--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
const SCENARIO_TIMEOUT_MS = 90_000;
const VIEW_URL = /\/inputs\/([A-Za-z0-9_-]{22})\/view\?token=([A-Za-z0-9_.-]+)$/;

// Results ---------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
const failures = [];

function pass(name) {
	passed++;
	console.log(`  ok    ${name}`);
}

function fail(name, detail) {
	failed++;
	failures.push(`${name}: ${detail}`);
	console.log(`  FAIL  ${name}: ${detail}`);
}

// check NAME OK DETAIL: one test; DETAIL (a string or a function giving one) explains a failure.
function check(name, ok, detail) {
	if (ok)
		pass(name);
	else
		fail(name, typeof detail === 'function' ? detail() : String(detail ?? 'false'));
	return Boolean(ok);
}

function near(name, got, want, tolerance, unit) {
	return check(name, typeof got === 'number' && Math.abs(got - want) <= tolerance,
		() => `got ${got} ${unit}, want ${want} ± ${tolerance}`);
}

// Console errors, page errors and CSP violations of every page (Chromium reports a CSP
// violation, like a failed load, as a console message of type error).
const problems = [];

function watch(page) {
	page.on('console', (m) => {
		if (m.type() === 'error')
			problems.push(`console error on ${page.url()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
	return page;
}

// One scenario: its checks run in order; an exception or timeout fails the scenario (and skips
// its later checks); at its end, the console-error check for its pages.
async function scenario(name, fn) {
	console.log(`== ${name}`);
	problems.length = 0;
	let timer;
	try {
		await Promise.race([fn(), new Promise((_, reject) => {
			timer = setTimeout(() => reject(new Error(`timed out after ${SCENARIO_TIMEOUT_MS} ms`)),
				SCENARIO_TIMEOUT_MS);
		})]);
	} catch (e) {
		fail(`${name}: ran to the end`, (e.stack || String(e)).split('\n').slice(0, 4).join(' | '));
	} finally {
		clearTimeout(timer);
	}
	check(`${name}: no console errors, page errors or CSP violations`, problems.length === 0,
		() => problems.join(' | '));
}

// Media -----------------------------------------------------------------------------------------

function run(cmd, args) {
	return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// The duration of a media file by decoding it all (ffmpeg's last "time=", seconds): a
// MediaRecorder WebM has no duration in its header, so ffprobe's format duration is N/A.
function decodedDuration(file) {
	const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'info', '-i', file, '-f', 'null', '-'],
		{ encoding: 'utf8' });
	return `${r.stderr}`;
}

function soxDuration(file) {
	return Number(run('soxi', ['-D', file]).trim());
}

// The width and height of a PNG (a file or its bytes), from its IHDR chunk (PNG spec. 11.2.2).
function pngSize(file) {
	const b = Buffer.isBuffer(file) ? file : fs.readFileSync(file);
	if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR')
		throw new Error('not a PNG');
	return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

// A width x height test pattern of channels (3 or 4) bytes per pixel. Alpha runs through every
// value from 1 to 255 but never 0: a canvas stores premultiplied colour, and a fully transparent
// pixel has none, so its RGB could not be read back.
function pattern(width, height, channels) {
	const b = Buffer.alloc(width * height * channels);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const o = (y * width + x) * channels;
			b[o] = (x * 4 + y) & 255;
			b[o + 1] = (y * 5 + 3 * x) & 255;
			b[o + 2] = ((x * y) ^ 0x5a) & 255;
			if (channels === 4)
				b[o + 3] = 1 + ((y * width + x) % 255);
		}
	}
	return b;
}

function makeMedia() {
	fs.mkdirSync(MEDIA, { recursive: true });
	const m = {
		speech: path.join(MEDIA, 'speech.wav'),
		long: path.join(MEDIA, 'long.wav'),
		png: path.join(MEDIA, 'spectrogram.png'),
	};
	// espeak-ng writes 22050 Hz mono 16-bit WAV.
	run('espeak-ng', ['-w', m.speech, 'The quick brown fox jumps over the lazy dog. ' +
		'Media gate stores audio, images and video for notebooks.']);
	// 60 s of stereo 44.1 kHz 16-bit (10 MiB): long enough that a seek near its end is not
	// already buffered and needs a new Range request.
	run('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', m.long, 'synth', '60', 'sine', '440',
		'sine', '660', 'gain', '-6']);
	run('sox', [m.speech, '-n', 'spectrogram', '-o', m.png]);
	return m;
}

// HTTP helpers (the server itself: tests/node/server.mjs) --------------------------------------

let BASE = '';

// POST a raw body to /inputs?QUERY; returns the JSON answer (201 expected).
async function uploadRaw(query, body, type) {
	const res = await fetch(`${BASE}/inputs?${query}`, {
		method: 'POST', body, headers: { 'Content-Type': type, Accept: 'application/json' },
	});
	const json = await res.json().catch(() => null);
	if (res.status !== 201 || !json || !json.view_url)
		throw new Error(`upload ?${query}: ${res.status} ${JSON.stringify(json)}`);
	return json;
}

// A multipart upload as a form sends it (kind first); returns the JSON answer.
async function uploadForm(kind, file, type) {
	const form = new FormData();
	form.append('kind', kind);
	form.append('file', new Blob([fs.readFileSync(file)], { type }), path.basename(file));
	const res = await fetch(`${BASE}/inputs`, {
		method: 'POST', body: form, headers: { Accept: 'application/json' },
	});
	const json = await res.json().catch(() => null);
	if (res.status !== 201 || !json || !json.view_url)
		throw new Error(`upload ${file}: ${res.status} ${JSON.stringify(json)}`);
	return json;
}

// The input JSON behind a view page URL (GET /inputs/ID with its token).
async function inputOfView(url) {
	const m = VIEW_URL.exec(url);
	if (!m)
		throw new Error(`${url} is not a view page URL`);
	const res = await fetch(`${BASE}/inputs/${m[1]}?token=${m[2]}`,
		{ headers: { Accept: 'application/json' } });
	if (res.status !== 200)
		throw new Error(`GET /inputs/${m[1]}: ${res.status} ${await res.text()}`);
	return res.json();
}

// The "audio" or "image" object of an input: at the top level, or inside "metadata".
function mediaInfo(input, key) {
	return input[key] ?? input.metadata?.[key] ?? null;
}

async function shot(page, name) {
	await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

async function newPage(context) {
	const page = watch(await context.newPage());
	page.setDefaultTimeout(30_000);
	return page;
}

// Read the canvas back (getImageData) as a plain array of RGBA bytes.
function canvasPixels(page) {
	return page.evaluate(() => {
		const c = document.getElementById('pixels');
		return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
	});
}

// Wait for the view page's canvas to be drawn; its state ("drawn" or "error: message").
async function canvasState(page) {
	await page.waitForFunction(() => {
		const c = document.getElementById('pixels');
		return c && (c.dataset.state === 'drawn' || c.dataset.state === 'error');
	});
	return page.evaluate(() => {
		const c = document.getElementById('pixels');
		const s = document.getElementById('pixels-status');
		return c.dataset.state === 'drawn' ? 'drawn' : `error: ${s ? s.textContent : '?'}`;
	});
}

// Compare RGBA bytes got with want; "" when equal, else where they first differ.
function firstDifference(got, want) {
	if (got.length !== want.length)
		return `${got.length} bytes, want ${want.length}`;
	for (let i = 0; i < want.length; i++)
		if (got[i] !== want[i])
			return `byte ${i} (pixel ${i >> 2}, channel ${i & 3}) is ${got[i]}, want ${want[i]}`;
	return '';
}

// The scenarios ---------------------------------------------------------------------------------

async function main() {
	fs.rmSync(OUT, { recursive: true, force: true });
	fs.mkdirSync(OUT, { recursive: true });
	if (!fs.existsSync(CHROMIUM))
		throw new Error(`${CHROMIUM} is missing: install Debian's chromium (make deps)`);
	const media = makeMedia();
	const durations = { speech: soxDuration(media.speech), long: soxDuration(media.long) };
	const png = pngSize(media.png);

	const server = await startServer({ name: 'browser', bin: BIN,
		log: path.join(OUT, 'server.log') });
	BASE = server.base;
	console.log(`browser: server on ${BASE}, data in ${server.dataDir}, artifacts in ${OUT}`);
	const stop = () => { try { server.proc.kill('SIGTERM'); } catch { /* gone */ } };
	process.once('SIGINT', () => { stop(); process.exit(130); });
	process.once('SIGTERM', () => { stop(); process.exit(143); });

	let browser;
	try {
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
			args: CHROMIUM_ARGS });
		console.log(`browser: Chromium ${browser.version()}`);
		await scenarios(browser, media, durations, png);
	} finally {
		if (browser)
			await browser.close().catch(() => {});
		await stopServer(server);
		fs.rmSync(server.dataDir, { recursive: true, force: true });
	}
}

async function scenarios(browser, media, durations, png) {
	const js = await browser.newContext({ acceptDownloads: false });
	const nojs = await browser.newContext({ javaScriptEnabled: false });

	await scenario('1. the plain form without JavaScript', async () => {
		const page = await newPage(nojs);
		const posts = [];
		page.on('request', (q) => { if (q.method() === 'POST') posts.push(q); });
		await page.goto(`${BASE}/`);
		await shot(page, 'upload-nojs');
		check('the decode options stay hidden without JavaScript',
			!(await page.locator('#send-as').isVisible()), 'the fieldset is visible');
		await page.selectOption('#kind', 'audio');
		await page.setInputFiles('#file', media.speech);
		// The entry list the form submits (HTML Standard 4.10.21.4; Chromium hides a file
		// upload's body from the request events): kind first, the disabled options not at all.
		const entries = await page.evaluate(() =>
			[...new FormData(document.getElementById('upload')).keys()].join());
		check('the form sends kind then file, and not the disabled decode options',
			entries === 'kind,file', entries);
		await Promise.all([page.waitForURL(VIEW_URL), page.click('button[type=submit]')]);
		check('the form post lands on the view page', VIEW_URL.test(page.url()), page.url());
		check('the upload was a form post (a navigation, not a script)',
			posts.length === 1 && posts[0].isNavigationRequest() &&
			/^multipart\/form-data/.test(posts[0].headers()['content-type'] || ''),
			() => posts.map((q) => `${q.resourceType()} ${q.headers()['content-type']}`).join());
		check('the view page names the file',
			(await page.locator('h1').textContent()) === 'speech.wav',
			await page.locator('h1').textContent());
		const src = await page.locator('audio').getAttribute('src');
		check('the view page has an <audio> of the content URL',
			/^\/inputs\/[^/]+\/content\?token=/.test(src || ''), `src=${src}`);
		await shot(page, 'view-nojs');
		await page.close();
	});

	await scenario('2. upload with JavaScript: XHR and progress events', async () => {
		const page = await newPage(js);
		const posts = [];
		page.on('request', (q) => { if (q.method() === 'POST') posts.push(q); });
		await page.goto(`${BASE}/`);
		check('JavaScript shows the decode options', await page.locator('#send-as').isVisible(),
			'#send-as is not visible');
		// Record what the page exposes in the DOM as it changes: the upload ends with a
		// navigation, so keep it in sessionStorage (it survives same-origin navigations).
		await page.evaluate(() => {
			const form = document.getElementById('upload');
			const bar = document.getElementById('progress');
			const seen = { values: [], events: 0, max: 0 };
			new MutationObserver(() => {
				seen.events = Number(form.dataset.progressEvents || 0);
				seen.max = Number(bar.max);
				seen.values.push(Number(bar.value));
				sessionStorage.setItem('progress', JSON.stringify(seen));
			}).observe(form, { attributes: true, subtree: true });
		});
		await page.setInputFiles('#file', media.long);
		check('choosing a WAV selects kind audio', (await page.inputValue('#kind')) === 'audio',
			await page.inputValue('#kind'));
		await shot(page, 'upload-js');
		await Promise.all([page.waitForURL(VIEW_URL), page.click('button[type=submit]')]);
		check('the page lands on the view page', VIEW_URL.test(page.url()), page.url());
		check('the upload was an XMLHttpRequest with a multipart body',
			posts.length === 1 && posts[0].resourceType() === 'xhr' &&
			/^multipart\/form-data/.test(posts[0].headers()['content-type'] || '') &&
			posts[0].headers().accept === 'application/json',
			() => posts.map((q) => `${q.resourceType()} ${JSON.stringify(q.headers())}`).join());
		const seen = JSON.parse(await page.evaluate(() => sessionStorage.getItem('progress')) ||
			'null');
		const size = fs.statSync(media.long).size;
		check('upload progress events were counted in data-progress-events',
			seen && seen.events >= 1, () => JSON.stringify(seen));
		check('the <progress> bar reached its max (the whole body)',
			seen && seen.max >= size && seen.values.at(-1) === seen.max,
			() => `max ${seen?.max} (file ${size} bytes), values ${seen?.values.join(',')}`);
		console.log(`        (${seen?.events} progress events for ${size} bytes)`);
		const input = await inputOfView(page.url());
		check('the stored input is the file', input.size === size, `size ${input.size}`);
		await shot(page, 'view-audio-js');
		await page.close();
	});

	await scenario('3. audio: metadata, duration and a seek with a Range request', async () => {
		const up = await uploadForm('audio', media.long, 'audio/wav');
		const page = await newPage(js);
		const responses = [];
		page.on('response', (r) => {
			if (r.url().includes('/content?'))
				responses.push({ status: r.status(), range: r.request().headers().range || '',
					contentRange: r.headers()['content-range'] || '', at: Date.now() });
		});
		await page.goto(`${BASE}${up.view_url}`);
		await page.waitForFunction(() => document.querySelector('audio')?.readyState >= 1);
		pass('the <audio> element reaches readyState >= 1 (HAVE_METADATA)');
		const box = await page.locator('audio').boundingBox();
		check('its controls are visible (not collapsed by the style sheet)',
			box && box.width >= 200 && box.height >= 20, () => JSON.stringify(box));
		const duration = await page.evaluate(() => document.querySelector('audio').duration);
		near('its duration is the file\'s (soxi -D)', duration, durations.long, 0.05, 's');
		const before = Date.now();
		await page.evaluate(() => new Promise((resolve, reject) => {
			const a = document.querySelector('audio');
			a.addEventListener('seeked', resolve, { once: true });
			a.addEventListener('error', () => reject(new Error(`media error ${a.error?.code}`)),
				{ once: true });
			a.currentTime = a.duration - 5;
		}));
		const t = await page.evaluate(() => document.querySelector('audio').currentTime);
		near('it seeks to 5 s before the end', t, durations.long - 5, 0.1, 's');
		// The seek target lies past what the first request brought: a new request from there.
		const seekRequests = responses.filter((r) => r.at >= before && !/^bytes=0-/.test(r.range));
		check('the seek issued a Range request answered 206',
			seekRequests.some((r) => r.status === 206 && /^bytes=\d+-/.test(r.range) &&
				/^bytes \d+-\d+\/\d+$/.test(r.contentRange)),
			() => `content responses: ${JSON.stringify(responses)}`);
		const offset = Number((/^bytes=(\d+)-/.exec(seekRequests[0]?.range || '') || [])[1]);
		const size = fs.statSync(media.long).size;
		check('the seek\'s range starts near the seek target',
			offset > size * 0.75, () => `starts at ${offset} of ${size} bytes`);
		await shot(page, 'view-audio');
		await page.close();
	});

	await scenario('4. image: a PNG through the page', async () => {
		const page = await newPage(js);
		await page.goto(`${BASE}/`);
		await page.setInputFiles('#file', media.png);
		check('choosing a PNG selects kind image', (await page.inputValue('#kind')) === 'image',
			await page.inputValue('#kind'));
		await Promise.all([page.waitForURL(VIEW_URL), page.click('button[type=submit]')]);
		await page.waitForFunction(() => {
			const img = document.querySelector('img');
			return img && img.complete;
		});
		const size = await page.evaluate(() => {
			const img = document.querySelector('img');
			return { width: img.naturalWidth, height: img.naturalHeight };
		});
		check('the <img> naturalWidth and naturalHeight are the PNG\'s',
			size.width === png.width && size.height === png.height,
			() => `${size.width}x${size.height}, want ${png.width}x${png.height}`);
		const info = mediaInfo(await inputOfView(page.url()), 'image');
		check('the input\'s image metadata says png and its size',
			info && info.format === 'png' && info.width === png.width && info.height === png.height,
			() => JSON.stringify(info));
		await shot(page, 'view-image');
		await page.close();
	});

	for (const format of ['rgba', 'rgb']) {
		await scenario(`5. raw ${format} pixels drawn on the canvas`, async () => {
			const width = 64, height = 48, channels = format === 'rgba' ? 4 : 3;
			const bytes = pattern(width, height, channels);
			const up = await uploadRaw(`kind=image&format=${format}&width=${width}` +
				`&height=${height}&filename=pattern.${format}`, bytes, 'application/octet-stream');
			const page = await newPage(js);
			await page.goto(`${BASE}${up.view_url}`);
			const dims = await page.evaluate(() => {
				const c = document.getElementById('pixels');
				return c && [c.width, c.height, c.dataset.format];
			});
			check(`the view page has a ${width}x${height} ${format} canvas`,
				dims && dims[0] === width && dims[1] === height && dims[2] === format,
				() => JSON.stringify(dims));
			const state = await canvasState(page);
			check('the script draws it', state === 'drawn', state);
			// What the canvas must hold: the bytes, rgb widened to rgba with alpha 255.
			let want = bytes;
			if (channels === 3) {
				want = Buffer.alloc(width * height * 4, 255);
				for (let i = 0, o = 0; i < bytes.length; i += 3, o += 4)
					bytes.copy(want, o, i, i + 3);
			}
			const diff = firstDifference(await canvasPixels(page), want);
			check(`getImageData equals the uploaded ${format} bytes exactly`, diff === '', diff);
			await shot(page, `view-${format}`);
			await page.close();
			// Without JavaScript the canvas shows its fallback: a link to the pixels as PNG.
			const plain = await newPage(nojs);
			await plain.goto(`${BASE}${up.view_url}`);
			const link = plain.locator('#pixels a');
			const href = (await link.isVisible()) ? await link.getAttribute('href') : null;
			const res = href && await fetch(new URL(href, BASE));
			const size = res && res.status === 200 &&
				res.headers.get('content-type') === 'image/png' &&
				pngSize(Buffer.from(await res.arrayBuffer()));
			check('without JavaScript the canvas offers the pixels as a PNG of that size',
				size && size.width === width && size.height === height,
				() => `link ${href}, ${res?.status} ${res?.headers.get('content-type')}`);
			await shot(plain, `view-${format}-nojs`);
			await plain.close();
		});
	}

	await scenario('6. decode in the browser: audio as 16 kHz PCM', async () => {
		const page = await newPage(js);
		const posts = [];
		page.on('request', (q) => { if (q.method() === 'POST') posts.push(q); });
		await page.goto(`${BASE}/`);
		await page.setInputFiles('#file', media.speech);
		await page.check('#send-pcm');
		await page.selectOption('#decode-rate', '16000');
		await shot(page, 'upload-decode');
		await Promise.all([page.waitForURL(VIEW_URL), page.click('button[type=submit]')]);
		check('the page sent an annotated binary by XHR',
			posts.length === 1 && posts[0].resourceType() === 'xhr' &&
			posts[0].headers()['content-type'] === 'application/x-annotated-binary',
			() => posts.map((q) => `${q.resourceType()} ${q.headers()['content-type']}`).join());
		// Chromium does not expose a Blob request body: what was sent is checked as stored.
		const input = await inputOfView(page.url());
		const sent = input.metadata || {};
		check('its metadata named 16 kHz mono pcm_f32le and the file',
			input.kind === 'audio' && sent.format === 'pcm_f32le' && sent.sampling_rate === 16000 &&
			sent.num_channels === 1 && input.filename === 'speech.wav',
			() => JSON.stringify(input));
		check('its payload was whole 32-bit float frames of the source\'s length',
			input.size % 4 === 0 && Math.abs(input.size / 4 / 16000 - durations.speech) <= 0.1,
			() => `${input.size} bytes, source ${durations.speech} s`);
		const audio = mediaInfo(input, 'audio');
		check('the input is 16 kHz mono pcm_f32le from raw PCM',
			audio && audio.source_format === 'pcm' && audio.sample_format === 'pcm_f32le' &&
			audio.sampling_rate === 16000 && audio.num_channels === 1,
			() => JSON.stringify(audio));
		near('its duration is the source\'s (soxi -D)', audio?.duration_s, durations.speech, 0.1,
			's');
		await page.waitForFunction(() => document.querySelector('audio')?.readyState >= 1);
		const duration = await page.evaluate(() => document.querySelector('audio').duration);
		near('the view page plays it with that duration', duration, durations.speech, 0.1, 's');
		await shot(page, 'view-decoded-pcm');
		await page.close();
	});

	await scenario('6b. decode in the browser: an image as RGBA pixels', async () => {
		const page = await newPage(js);
		await page.goto(`${BASE}/`);
		await page.setInputFiles('#file', media.png);
		await page.check('#send-pixels');
		await Promise.all([page.waitForURL(VIEW_URL), page.click('button[type=submit]')]);
		const info = mediaInfo(await inputOfView(page.url()), 'image');
		check('the input is rgba pixels of the PNG\'s size',
			info?.format === 'rgba' && info.width === png.width && info.height === png.height,
			() => JSON.stringify(info));
		const state = await canvasState(page);
		check('the view page draws them', state === 'drawn', state);
		// The same PNG drawn by the browser itself must give the same pixels.
		const same = await page.evaluate(async (src) => {
			const img = await createImageBitmap(await (await fetch(src)).blob(),
				{ premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
			const c = document.getElementById('pixels');
			const ref = document.createElement('canvas');
			ref.width = img.width;
			ref.height = img.height;
			const rc = ref.getContext('2d', { colorType: 'float16' });
			rc.drawImage(img, 0, 0);
			const a = rc.getImageData(0, 0, ref.width, ref.height).data;
			const b = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			return a.length === b.length && a.every((v, i) => v === b[i]);
		}, `${await page.locator('#pixels').getAttribute('data-src')}&format=png`);
		check('the canvas shows the PNG\'s pixels (as ?format=png gives them back)', same,
			'the pixels differ');
		await shot(page, 'view-decoded-pixels');
		await page.close();
	});

	await scenario('7. Content-Security-Policy and the script', async () => {
		const page = await newPage(js);
		const res = await page.goto(`${BASE}/`);
		const csp = res.headers()['content-security-policy'] || '';
		check('the pages send a CSP without unsafe-inline or unsafe-eval',
			/default-src 'none'/.test(csp) && /script-src 'self'(;|$)/.test(csp) &&
			!/unsafe-/.test(csp), csp);
		// Prove the CSP holds and that a violation would be caught by the console check.
		const ran = await page.evaluate(() => {
			const s = document.createElement('script');
			s.textContent = 'window.__inline = 1';
			document.body.append(s);
			return window.__inline === 1;
		});
		check('an injected inline script does not run', !ran, 'it ran');
		await sleep(200);
		check('and Chromium reports the violation on the console',
			problems.some((p) => /Content Security Policy/i.test(p)), () => problems.join(' | '));
		problems.length = 0;
		const js1 = await fetch(`${BASE}/static/mediagate.js`);
		const etag = js1.headers.get('etag') || '';
		check('/static/mediagate.js is text/javascript with a strong ETag',
			js1.status === 200 &&
			js1.headers.get('content-type') === 'text/javascript; charset=utf-8' &&
			/^"[0-9a-f]{64}"$/.test(etag) &&
			Number(js1.headers.get('content-length')) === (await js1.arrayBuffer()).byteLength,
			() => `${js1.status} ${JSON.stringify(Object.fromEntries(js1.headers))}`);
		const js2 = await fetch(`${BASE}/static/mediagate.js`,
			{ headers: { 'If-None-Match': etag } });
		check('and answers 304 to If-None-Match', js2.status === 304 &&
			js2.headers.get('etag') === etag, `${js2.status}`);
		await page.close();
	});

	await scenario('8. recording on /record (fake camera and microphone), tus with a deferred length',
		async () => {
		const page = await newPage(js);
		const patches = [];
		page.on('request', (q) => {
			if (q.method() === 'PATCH')
				patches.push(q.headers());
		});
		await page.goto(`${BASE}/record`);
		await page.selectOption('#source', 'video');
		await page.click('#start');
		await page.waitForFunction(() => document.getElementById('record').dataset.state ===
			'recording', null, { timeout: 15_000 });
		const started = Date.now();
		await sleep(2500);
		const early = Number(await page.getAttribute('#record', 'data-offset') || 0);
		const shown = Number(await page.textContent('#sent'));
		check('chunks are sent while recording (the offset grows, shown on the page)',
			early > 0 && shown >= early, `data-offset ${early}, shown ${shown}`);
		const live = await page.getAttribute('#live', 'href');
		check('the live link is the content URL in follow mode',
			/\/inputs\/[A-Za-z0-9_-]{22}\/content\?token=[A-Za-z0-9_.-]+&follow=1$/.test(live || ''),
			String(live));
		// The live link while recording (README, "Reading an input while it grows"): without
		// follow, what is durable so far as 206 bytes 0-N/*; with follow=1, a stream that grows.
		const liveUrl = new URL(live || '/', BASE);
		const plain = await fetch(liveUrl.href.replace(/&follow=1$/, ''));
		const prefix = Buffer.from(await plain.arrayBuffer());
		const range = /^bytes 0-([0-9]+)\/\*$/.exec(plain.headers.get('content-range') || '');
		check('while recording, the live link without follow: 206 bytes 0-N/* of the WebM so far',
			plain.status === 206 && range !== null && Number(range[1]) + 1 === prefix.length &&
			prefix.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])) &&
			plain.headers.get('cache-control') === 'no-store',
			`${plain.status}, ${plain.headers.get('content-range')}, ${prefix.length} bytes`);
		const abort = new AbortController();
		const followed = await fetch(liveUrl, { signal: abort.signal });
		const reader = followed.body.getReader();
		const until = Date.now() + 2000;
		let streamed = 0;
		for (;;) {
			const left = until - Date.now();
			const next = left > 0 ? await Promise.race([reader.read(), sleep(left).then(() => null)])
				: null;
			if (next === null || next.done)
				break;
			streamed += next.value.length;
		}
		abort.abort();
		check('with follow=1 it streams while recording: 200, more bytes than were there (2 s)',
			followed.status === 200 && streamed > prefix.length &&
			followed.headers.get('content-length') === null,
			`${followed.status}, ${streamed} bytes streamed, ${prefix.length} at first`);
		await sleep(Math.max(0, 5000 - (Date.now() - started)));
		await page.click('#stop');
		await page.waitForFunction(() => ['done', 'error'].includes(
			document.getElementById('record').dataset.state), null, { timeout: 30_000 });
		const state = await page.getAttribute('#record', 'data-state');
		check('the recording completes into an input', state === 'done',
			`${state}: ${await page.textContent('#status')}`);
		check('about one PATCH a second, each at an Upload-Offset, the last with the Upload-Length',
			patches.length >= 4 && patches.every((h) => /^[0-9]+$/.test(h['upload-offset'])) &&
			patches[patches.length - 1]['upload-length'] !== undefined &&
			patches.slice(0, -1).every((h) => h['upload-length'] === undefined),
			() => JSON.stringify(patches));
		const url = await page.getAttribute('#record', 'data-content-url');
		const res = await fetch(new URL(url, BASE));
		const bytes = Buffer.from(await res.arrayBuffer());
		const file = path.join(OUT, 'recording.webm');
		fs.writeFileSync(file, bytes);
		check('the input reads back as WebM (EBML magic)', res.status === 200 &&
			bytes.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])),
			`${res.status}, ${bytes.length} bytes, ${res.headers.get('content-type')}`);
		check('of the size the page sent', bytes.length === Number(await page.getAttribute(
			'#record', 'data-offset')), `${bytes.length} bytes`);
		const log = decodedDuration(file);
		const times = [...log.matchAll(/time=([0-9]+):([0-9]+):([0-9.]+)/g)];
		const last = times.length > 0 ? times[times.length - 1] : null;
		const seconds = last ? Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]) : NaN;
		near('ffmpeg decodes the whole recording, about 5 seconds long', seconds, 5, 1, 's');
		check('with a video and an audio stream', /Video: vp[89]/.test(log) &&
			/Audio: opus/.test(log), () => log.split('\n').filter((l) => /Stream/.test(l)).join(' | '));
		const done = await page.getAttribute('#done', 'href');
		await page.goto(new URL(done, BASE).href);
		check('the link at the end opens the view page with a <video>',
			await page.locator('video#media').count() === 1, page.url());
		await shot(page, 'recording-view');
		await page.close();
	});

	await js.close();
	await nojs.close();
}

try {
	await main();
} catch (e) {
	fail('the browser tests ran', e.stack || String(e));
}
if (failed > 0) {
	console.log('\nFailures:');
	for (const f of failures)
		console.log(`- ${f}`);
	const log = path.join(OUT, 'server.log');
	if (fs.existsSync(log)) {
		console.log(`\nLast 20 lines of ${log}:`);
		console.log(fs.readFileSync(log, 'utf8').split('\n').slice(-21).join('\n'));
	}
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
