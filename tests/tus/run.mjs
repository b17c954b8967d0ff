// run.mjs: mediagate's tus endpoint (/uploads) driven by the real client, tus-js-client 4.x, in Node.
//
//   node tests/tus/run.mjs        (tests/tus/run.sh installs tus-js-client first)
//
// Starts the server itself (deploy/run.sh: lighttpd + spawn-fcgi) on a free loopback port with a
// throwaway data folder, runs the scenarios below and ends with the line "N passed, M failed";
// exits 0 only when nothing failed. Every upload is read back through a token and compared
// byte for byte. A small TCP proxy in front of the server kills a connection in the middle of a
// chunk when a scenario asks for it. tus-js-client sends no Upload-Checksum of its own: the
// checksum scenarios add it through the client's httpStack option (its extension point), as an
// application would. server.log goes to tests/out/tus/ (or MG_TEST_OUT).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DefaultHttpStack, Upload } from 'tus-js-client';
import { sleep, startServer, stopServer } from '../node/server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const OUT = process.env.MG_TEST_OUT || path.join(ROOT, 'tests/out/tus');
const BIN = process.env.BIN || path.join(ROOT, 'build/mediagate');
const SCENARIO_TIMEOUT_MS = 60_000;
const CHUNK = 256 * 1024;
const MAX_UPLOAD = '32M';

// Results ---------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
const failures = [];

function check(name, ok, detail) {
	if (ok) {
		passed++;
		console.log(`  ok    ${name}`);
	} else {
		const d = typeof detail === 'function' ? detail() : String(detail ?? 'false');
		failed++;
		failures.push(`${name}: ${d}`);
		console.log(`  FAIL  ${name}: ${d}`);
	}
	return Boolean(ok);
}


async function scenario(name, fn) {
	console.log(`== ${name}`);
	let timer;
	try {
		await Promise.race([fn(), new Promise((_, reject) => {
			timer = setTimeout(() => reject(new Error(`timed out after ${SCENARIO_TIMEOUT_MS} ms`)),
				SCENARIO_TIMEOUT_MS);
		})]);
	} catch (e) {
		check(`${name}: ran to the end`, false, (e.stack || String(e)).split('\n').slice(0, 4).join(' | '));
	} finally {
		clearTimeout(timer);
	}
}

// The proxy (the server itself: tests/node/server.mjs) -----------------------------------------

// A TCP proxy in front of the server. kill(n) arms it: the connection that carries the client's
// n-th byte from then on is cut (both ways) right there, in the middle of whatever it sends.
function startProxy(port) {
	const proxy = { port: 0, kills: 0, armed: -1 };
	const server = net.createServer((client) => {
		const upstream = net.connect(port, '127.0.0.1');
		const cut = () => {
			client.destroy();
			upstream.destroy();
		};
		client.on('data', (data) => {
			if (proxy.armed >= 0 && data.length > proxy.armed) {
				upstream.write(data.subarray(0, proxy.armed), () => setTimeout(cut, 50));
				proxy.armed = -1;
				proxy.kills++;
				client.pause();
				return;
			}
			if (proxy.armed >= 0)
				proxy.armed -= data.length;
			upstream.write(data);
		});
		upstream.on('data', (data) => client.write(data));
		client.on('end', () => upstream.end());
		upstream.on('end', () => client.end());
		client.on('error', cut);
		upstream.on('error', cut);
	});
	return new Promise((resolve) => {
		server.listen(0, '127.0.0.1', () => {
			proxy.port = server.address().port;
			proxy.close = () => new Promise((r) => server.close(r));
			proxy.kill = (n) => { proxy.armed = n; };
			resolve(proxy);
		});
	});
}

// HTTP helpers ----------------------------------------------------------------------------------

let BASE = '';
let COOKIE = '';

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

// A session of our own: tus uploads belong to the session whose cookie created them.
async function newSession() {
	const res = await fetch(`${BASE}/sessions`, { method: 'POST', body: '' });
	const set = res.headers.get('set-cookie') || '';
	const m = /mg_session=([A-Za-z0-9_-]+)/.exec(set);
	if (res.status !== 201 || !m)
		throw new Error(`POST /sessions: ${res.status} ${set}`);
	return `mg_session=${m[1]}`;
}

// The upload's state as HEAD tells it: { status, offset, length, defer }.
async function head(url) {
	const res = await fetch(url, { method: 'HEAD',
		headers: { 'Tus-Resumable': '1.0.0', Cookie: COOKIE } });
	const num = (h) => (res.headers.get(h) === null ? null : Number(res.headers.get(h)));
	return { status: res.status, offset: num('upload-offset'), length: num('upload-length'),
		defer: res.headers.get('upload-defer-length') };
}

// The input an upload became: its JSON, and its content read through a fresh token.
async function input(uploadUrl) {
	const id = uploadUrl.split('/').pop();
	const meta = await fetch(`${BASE}/inputs/${id}`, { headers: { Cookie: COOKIE } });
	if (meta.status !== 200)
		throw new Error(`GET /inputs/${id}: ${meta.status} ${await meta.text()}`);
	const json = await meta.json();
	const tok = await fetch(`${BASE}/inputs/${id}/tokens`, { method: 'POST', body: '',
		headers: { Cookie: COOKIE } });
	const { content_url: contentUrl } = await tok.json();
	const content = await fetch(`${BASE}${contentUrl}`);
	return { json, bytes: Buffer.from(await content.arrayBuffer()) };
}

// tus-js-client's Node stack, with what a scenario asks of the PATCH (and POST) bodies: a
// Content-Length (the Node stack sends Buffers chunked: lighttpd would then hold a chunk back
// until it is whole), and an Upload-Checksum (sha256) of the body, wrong once when asked.
class TestStack {
	constructor(opts = {}) {
		this.inner = new DefaultHttpStack();
		this.opts = opts;
	}

	createRequest(method, url) {
		const req = this.inner.createRequest(method, url);
		const { opts } = this;
		const send = req.send.bind(req);
		req.send = (body = null) => {
			if (body instanceof Uint8Array && body.length > 0) {
				if (opts.contentLength)
					req.setHeader('Content-Length', String(body.length));
				if (opts.checksum) {
					let digest = createHash('sha256').update(body).digest('base64');
					if (opts.corruptAt !== undefined && opts.sent === opts.corruptAt)
						digest = createHash('sha256').update('other bytes').digest('base64');
					opts.sent = (opts.sent || 0) + 1;
					req.setHeader('Upload-Checksum', `sha256 ${digest}`);
				}
			}
			return send(body);
		};
		return req;
	}

	getName() {
		return 'mediagate-test-stack';
	}
}

// tus-js-client's URL storage, in memory: what a fingerprint maps to (urlStorage option).
class MemoryUrlStorage {
	constructor() {
		this.uploads = new Map();
		this.n = 0;
	}

	async findAllUploads() {
		return [...this.uploads.entries()].map(([k, v]) => ({ ...v, urlStorageKey: k }));
	}

	async findUploadsByFingerprint(fingerprint) {
		return (await this.findAllUploads()).filter((u) => u.fingerprint === fingerprint);
	}

	async removeUpload(key) {
		this.uploads.delete(key);
	}

	async addUpload(fingerprint, upload) {
		const key = `tus::${fingerprint}::${++this.n}`;
		this.uploads.set(key, { ...upload, fingerprint });
		return key;
	}
}

// Run one tus-js-client upload to its end: { url, chunks, requests } or a rejection with the
// client's error (err.originalResponse for an HTTP one).
function runUpload(source, options, before) {
	return new Promise((resolve, reject) => {
		const stats = { chunks: 0, requests: [] };
		const upload = new Upload(source, {
			endpoint: `${BASE}/uploads/`,
			chunkSize: CHUNK,
			retryDelays: null,
			headers: { Cookie: COOKIE },
			onChunkComplete: () => { stats.chunks++; },
			onBeforeRequest: (req) => {
				stats.requests.push({ method: req.getMethod(),
					defer: req.getHeader('Upload-Defer-Length'),
					length: req.getHeader('Upload-Length') });
			},
			onSuccess: () => resolve({ url: upload.url, upload, ...stats }),
			onError: (err) => {
				err.upload = upload;
				err.stats = stats;
				reject(err);
			},
			...options,
		});
		Promise.resolve(before ? before(upload) : undefined).then(() => upload.start(), reject);
	});
}

const statusOf = (err) => err?.originalResponse?.getStatus?.() ?? null;

// A WAV (RIFF, PCM s16le) of seconds of a 440 Hz sine, made here.
function sineWav(rate, seconds) {
	const frames = rate * seconds;
	const b = Buffer.alloc(44 + frames * 2);
	b.write('RIFF', 0, 'latin1');
	b.writeUInt32LE(36 + frames * 2, 4);
	b.write('WAVEfmt ', 8, 'latin1');
	b.writeUInt32LE(16, 16);
	b.writeUInt16LE(1, 20);
	b.writeUInt16LE(1, 22);
	b.writeUInt32LE(rate, 24);
	b.writeUInt32LE(rate * 2, 28);
	b.writeUInt16LE(2, 32);
	b.writeUInt16LE(16, 34);
	b.write('data', 36, 'latin1');
	b.writeUInt32LE(frames * 2, 40);
	for (let i = 0; i < frames; i++)
		b.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + 2 * i);
	return b;
}

// Scenarios -------------------------------------------------------------------------------------

async function main() {
	fs.mkdirSync(OUT, { recursive: true });
	const server = await startServer({ name: 'tus', bin: BIN, log: path.join(OUT, 'server.log'),
		env: { MEDIAGATE_MAX_UPLOAD: MAX_UPLOAD } });
	BASE = server.base;
	const proxy = await startProxy(server.port);
	console.log(`tus: lighttpd on ${BASE} (proxy on ${proxy.port}), data in ${server.dataDir}`);
	COOKIE = await newSession();
	const file = randomBytes(5 * 1024 * 1024 + 12345);   // not a whole number of chunks
	const chunks = Math.ceil(file.length / CHUNK);

	await scenario('5 MiB in 256 KiB chunks', async () => {
		const r = await runUpload(file, { metadata: { filename: 'random.bin',
			filetype: 'application/octet-stream' } });
		check('it succeeds with one PATCH per chunk', r.chunks === chunks &&
			r.requests.filter((q) => q.method === 'PATCH').length === chunks,
		() => `${r.chunks} chunks, ${JSON.stringify(r.requests.map((q) => q.method))}`);
		check('the upload URL is /uploads/ID', /\/uploads\/[A-Za-z0-9_-]{22}$/.test(r.url), r.url);
		const h = await head(r.url);
		check('HEAD after success: offset = length', h.status === 200 && h.offset === file.length &&
			h.length === file.length, JSON.stringify(h));
		const { json, bytes } = await input(r.url);
		check('the input: size, filename, kind', json.size === file.length &&
			json.filename === 'random.bin' && json.kind === 'file', JSON.stringify(json));
		check('the input reads back bit-exact', bytes.equals(file),
			() => `${bytes.length} bytes, sha256 ${sha256(bytes)} vs ${sha256(file)}`);
		check('the index has its sha256', json.sha256 === sha256(file), json.sha256);
	});

	await scenario('connection killed mid-chunk, resumed by fingerprint', async () => {
		const storage = new MemoryUrlStorage();
		const stack = new TestStack({ contentLength: true });
		const endpoint = `http://127.0.0.1:${proxy.port}/uploads/`;
		const kills = proxy.kills;
		let err = null;
		try {
			// Mid-chunk 6: five whole chunks and half of the sixth have gone through.
			await runUpload(file, { endpoint, httpStack: stack, urlStorage: storage },
				() => proxy.kill(Math.floor(5.5 * CHUNK)));
		} catch (e) {
			err = e;
		}
		check('the killed connection fails the upload (no retries asked)',
			err !== null && proxy.kills === kills + 1, String(err));
		const url = err?.upload?.url;
		check('the upload was created', typeof url === 'string', String(url));
		if (typeof url !== 'string')
			return;
		const direct = `${BASE}${new URL(url).pathname}`;
		await sleep(300);
		const h = await head(direct);
		check('the bytes of the killed chunk that arrived were kept (5 chunks < offset < 6)',
			h.offset > 5 * CHUNK && h.offset < 6 * CHUNK, JSON.stringify(h));
		let previous = [];
		const r = await runUpload(file, { endpoint, httpStack: stack, urlStorage: storage },
			async (up) => {
				previous = await up.findPreviousUploads();
				if (previous.length > 0)
					up.resumeFromPreviousUpload(previous[0]);
			});
		check('the fingerprint finds the interrupted upload', previous.length === 1 &&
			previous[0].uploadUrl === url, JSON.stringify(previous));
		check('the resume goes on with the same upload', r.url === url, `${r.url} vs ${url}`);
		check('the resume starts with a HEAD, then PATCHes from the kept offset',
			r.requests[0]?.method === 'HEAD' && !r.requests.some((q) => q.method === 'POST'),
			JSON.stringify(r.requests.map((q) => q.method)));
		const { bytes } = await input(direct);
		check('killed and resumed: bit-exact', bytes.equals(file),
			() => `${bytes.length} bytes, sha256 ${sha256(bytes)}`);
	});

	await scenario('connection killed mid-chunk, the client retries by itself', async () => {
		const kills = proxy.kills;
		const r = await runUpload(file, { endpoint: `http://127.0.0.1:${proxy.port}/uploads/`,
			httpStack: new TestStack({ contentLength: true }), retryDelays: [100, 500, 1000] },
		() => proxy.kill(Math.floor(2.3 * CHUNK)));
		check('one connection was killed', proxy.kills === kills + 1, `${proxy.kills - kills}`);
		check('after the kill the client asked HEAD and went on',
			r.requests.filter((q) => q.method === 'HEAD').length >= 1,
			JSON.stringify(r.requests.map((q) => q.method)));
		const { bytes } = await input(`${BASE}${new URL(r.url).pathname}`);
		check('retried: bit-exact', bytes.equals(file), () => `${bytes.length} bytes`);
	});

	await scenario('uploadLengthDeferred, from a stream', async () => {
		const pieces = [];
		for (let at = 0; at < file.length; at += 100_000)
			pieces.push(file.subarray(at, at + 100_000));
		let sawDeferred = null;
		const r = await runUpload(Readable.from(pieces), { uploadLengthDeferred: true,
			onAfterResponse: (req, res) => {
				if (req.getMethod() === 'POST')
					sawDeferred = res.getHeader('Upload-Defer-Length');
			} });
		check('the creation asked for a deferred length', r.requests[0]?.method === 'POST' &&
			String(r.requests[0]?.defer) === '1', JSON.stringify(r.requests[0]));
		check('the creation answer says Upload-Defer-Length: 1', sawDeferred === '1',
			String(sawDeferred));
		check('a later PATCH carried Upload-Length',
			r.requests.some((q) => q.method === 'PATCH' && Number(q.length) === file.length),
			JSON.stringify(r.requests.filter((q) => q.length)));
		const { bytes } = await input(`${BASE}${new URL(r.url).pathname}`);
		check('deferred: bit-exact', bytes.equals(file), () => `${bytes.length} bytes`);
	});

	await scenario('creation-with-upload', async () => {
		const small = file.subarray(0, 3 * 1024 * 1024);
		const r = await runUpload(small, { uploadDataDuringCreation: true, chunkSize: 1024 * 1024,
			httpStack: new TestStack({ contentLength: true }) });
		check('the first chunk went with the POST', r.requests[0]?.method === 'POST' &&
			r.requests.filter((q) => q.method === 'PATCH').length === 2,
		JSON.stringify(r.requests.map((q) => q.method)));
		const { bytes } = await input(`${BASE}${new URL(r.url).pathname}`);
		check('with upload: bit-exact', bytes.equals(small), () => `${bytes.length} bytes`);
	});

	await scenario('checksums (Upload-Checksum: sha256) through the client\'s httpStack', async () => {
		const stack = new TestStack({ contentLength: true, checksum: true });
		const r = await runUpload(file, { httpStack: stack });
		const { bytes } = await input(`${BASE}${new URL(r.url).pathname}`);
		check('every chunk checked: bit-exact', bytes.equals(file) && stack.opts.sent === chunks,
			() => `${bytes.length} bytes, ${stack.opts.sent} checksums`);

		// The third chunk's checksum is wrong: 460, the chunk discarded, then resumed.
		const bad = new TestStack({ contentLength: true, checksum: true, corruptAt: 2 });
		let err = null;
		try {
			await runUpload(file, { httpStack: bad });
		} catch (e) {
			err = e;
		}
		check('a wrong checksum: the client gets 460', statusOf(err) === 460,
			() => `${statusOf(err)} ${String(err)}`);
		const url = err?.upload?.url;
		const h = url ? await head(url) : {};
		check('460: the chunk was discarded (offset 2 chunks)', h.offset === 2 * CHUNK,
			JSON.stringify(h));
		const again = await runUpload(file, { httpStack: new TestStack({ contentLength: true,
			checksum: true }), uploadUrl: url });
		check('resumed by URL after the 460', again.url === url, `${again.url} vs ${url}`);
		const back = await input(url);
		check('checksummed and resumed: bit-exact', back.bytes.equals(file),
			() => `${back.bytes.length} bytes`);
	});

	await scenario('a WAV becomes an audio input; termination', async () => {
		const wav = sineWav(16000, 3);
		const r = await runUpload(wav, { metadata: { filename: 'sine.wav', filetype: 'audio/wav' },
			chunkSize: 32 * 1024 });
		const { json, bytes } = await input(r.url);
		check('probed as audio: 16000 Hz mono, 3 s', json.kind === 'audio' &&
			json.audio?.sampling_rate === 16000 && json.audio?.num_channels === 1 &&
			Math.abs(json.audio?.duration_s - 3) < 0.01, JSON.stringify(json));
		check('the WAV reads back bit-exact', bytes.equals(wav), () => `${bytes.length} bytes`);

		// abort(true) terminates: DELETE, and the upload is gone.
		let url = null;
		await new Promise((resolve, reject) => {
			const up = new Upload(file, {
				endpoint: `${BASE}/uploads/`, chunkSize: CHUNK, retryDelays: null,
				headers: { Cookie: COOKIE },
				onChunkComplete: (size, accepted) => {
					if (accepted >= 2 * CHUNK && url === null) {
						url = up.url;
						up.abort(true).then(resolve, reject);
					}
				},
				onError: reject,
				onSuccess: () => reject(new Error('finished before the abort')),
			});
			up.start();
		});
		const h = await head(url);
		check('abort(true) terminated the upload: HEAD 404', h.status === 404, JSON.stringify(h));
	});

	await proxy.close();
	const code = await stopServer(server);
	check('the server stops with 0', code === 0, String(code));
	fs.rmSync(server.dataDir, { recursive: true, force: true });
}

try {
	await main();
} catch (e) {
	check('the tests ran', false, e.stack || String(e));
}
if (failed > 0) {
	console.log('\nFailures:');
	for (const f of failures)
		console.log(`- ${f}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
