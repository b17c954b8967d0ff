// server.mjs: what the Node test suites (tests/browser, tests/tus) share: a real mediagate
// server (deploy/run.sh: lighttpd + spawn-fcgi) on a free loopback port, and stopping it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A TCP port on 127.0.0.1 that was free a moment ago.
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

// SIGTERM deploy/run.sh (it stops lighttpd and the app) and wait 10 s; then SIGKILL. Returns its
// exit code, or 'killed'.
export async function stopServer(server) {
	const { proc } = server;
	if (proc.exitCode !== null || proc.signalCode !== null)
		return proc.exitCode;
	const done = new Promise((r) => proc.once('exit', (code) => r(code)));
	proc.kill('SIGTERM');
	const code = await Promise.race([done, sleep(10_000).then(() => 'timeout')]);
	if (code !== 'timeout')
		return code;
	proc.kill('SIGKILL');
	await done;
	return 'killed';
}

// Start deploy/run.sh with the app bin (2 processes) on a throwaway data folder (named after
// name) and wait (10 s) for GET /healthz, the server's output in log; retries when lighttpd finds
// its port taken. No MEDIAGATE_* setting of the caller's shell reaches it, only those of env.
// Returns { proc, base, port, dataDir }.
export async function startServer({ name, bin, log, env: settings = {} }) {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `mediagate-${name}.`));
	const env = {};
	for (const [k, v] of Object.entries(process.env))
		if (!k.startsWith('MEDIAGATE_'))
			env[k] = v;
	for (let attempt = 1; attempt <= 5; attempt++) {
		const port = await freePort();
		const base = `http://127.0.0.1:${port}`;
		const fd = fs.openSync(log, 'w');
		const proc = spawn(path.join(ROOT, 'deploy/run.sh'), [], {
			env: { ...env, ...settings, PORT: String(port), BIND: '127.0.0.1', DATA_DIR: dataDir,
				PROCS: '2', BIN: bin },
			stdio: ['ignore', fd, fd],
		});
		fs.closeSync(fd);
		let exited = false;
		proc.on('exit', () => { exited = true; });
		for (let i = 0; i < 100 && !exited; i++) {
			try {
				const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
				if (res.ok)
					return { proc, base, port, dataDir };
			} catch { /* not up yet */ }
			await sleep(100);
		}
		await stopServer({ proc });
		if (!fs.readFileSync(log, 'utf8').includes('Address already in use'))
			break;
	}
	fs.rmSync(dataDir, { recursive: true, force: true });
	throw new Error(`the server did not answer GET /healthz within 10 s; see ${log}:\n` +
		fs.readFileSync(log, 'utf8'));
}
