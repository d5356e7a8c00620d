// Shared pieces of the Node.js interop tests (node_client.mjs, node_deflate.mjs): the `ws`
// client with its events queued, bounded waits, and starting and stopping ratchet-demo.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export const TIMEOUT_MS = 10_000;
const LISTENING = /listening on 127\.0\.0\.1:(\d+)/;

export let WebSocket;
try {
  ({ WebSocket } = await import('ws'));
} catch (e) {
  // A missing client is a failure, never a skip.
  console.log(`FAIL: cannot load the ws package (${e.message}); run ` +
              '`npm ci` in tests/interop (scripts/test.sh does)');
  process.exit(1);
}

export class CheckFailed extends Error {}

export function expect(cond, what) {
  if (!cond) throw new CheckFailed(what);
}

export function describe(m) {
  if (m === undefined) return 'nothing';
  const s = m.data.toString('utf8');
  return m.binary ? `binary(${m.data.length} bytes)`
                  : `text(${s.length} chars: ${JSON.stringify(s.slice(0, 40))}` +
                    `${s.length > 40 ? '...' : ''})`;
}

/** Resolves with `promise`, or fails the check after TIMEOUT_MS. */
export function bounded(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
        () => reject(new CheckFailed(`timed out after ${TIMEOUT_MS / 1000}s: ${what}`)),
        TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A ws client whose events are queued so that checks can await them one at a time. */
export class Client {
  constructor(ws, response) {
    this.ws = ws;
    this.response = response;  // the 101 response (its headers), when known
    this.messages = [];
    this.waiters = [];
    this.closed = null;  // {code, reason} once closed
    this.closeWaiters = [];
    this.error = null;
    ws.on('message', (data, isBinary) => this.push({data: Buffer.from(data), binary: isBinary}));
    ws.on('error', (e) => { this.error = e; });
    ws.on('close', (code, reason) => {
      this.closed = {code, reason: reason.toString()};
      for (const w of this.closeWaiters) w(this.closed);
      for (const w of this.waiters) w.reject(new CheckFailed(
          `connection closed (${code} ${JSON.stringify(this.closed.reason)})` +
          (this.error ? `: ${this.error.message}` : '')));
      this.waiters = [];
    });
  }

  /** Connects with ws's `options` (maxPayload 64 MiB unless given; no Origin is sent). */
  static async connect(url, options = {}) {
    const ws = new WebSocket(url, {maxPayload: 64 * 1024 * 1024, ...options});
    let response;
    ws.once('upgrade', (res) => { response = res; });
    await bounded(new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);  // e.g. "Unexpected server response: 403"
    }), `connect to ${url}`);
    return new Client(ws, response);
  }

  push(message) {
    const w = this.waiters.shift();
    if (w) w.resolve(message); else this.messages.push(message);
  }

  next(what) {
    if (this.messages.length) return Promise.resolve(this.messages.shift());
    if (this.closed) return Promise.reject(new CheckFailed(`receive ${what}: connection closed`));
    return bounded(new Promise((resolve, reject) => this.waiters.push({resolve, reject})),
                   `receive ${what}`);
  }

  send(data, options = {}) {
    return bounded(new Promise((resolve, reject) =>
        this.ws.send(data, options, (e) => e ? reject(e) : resolve())), 'send');
  }

  close(code, reason) {
    if (this.closed) return Promise.resolve(this.closed);
    const done = new Promise((resolve) => this.closeWaiters.push(resolve));
    this.ws.close(code, reason);
    return bounded(done, `close handshake (${code ?? 1000})`);
  }

  async closeQuietly() {
    try {
      await this.close();
    } catch {
      this.ws.terminate();
    }
  }
}

/** Runs `body(client)` with a client of `url`, closed afterwards whatever happens. */
export async function withClient(url, body, options = {}) {
  const c = await Client.connect(url, options);
  try {
    await body(c);
  } finally {
    await c.closeQuietly();
  }
}

/**
 * Starts ratchet-demo on 127.0.0.1 with port 0 and `extraArgs`: {proc, port}, where port
 * is a promise of the port its "listening on" line names.
 */
export function startServer(binary, extraArgs) {
  const proc = spawn(binary, ['--address', '127.0.0.1', '--port', '0', '--threads', '2',
                              '--log-level', 'warn', ...extraArgs],
                     {stdio: ['ignore', 'pipe', 'inherit']});
  // Never leave it running, whatever way this script exits.
  process.on('exit', () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
    proc.exitStatus = signal ?? code;
    resolve(proc.exitStatus);
  }));
  proc.exited = exited;
  const seen = [];
  const listening = new Promise((resolve, reject) => {
    const lines = createInterface({input: proc.stdout});  // keeps draining stdout
    let found = false;
    lines.on('line', (line) => {
      if (found) return;
      console.log(`server: ${line}`);
      seen.push(line);
      const m = LISTENING.exec(line);
      if (m) {
        found = true;
        resolve(Number(m[1]));
      }
    });
    proc.once('error', (e) => reject(new CheckFailed(`cannot run ${binary}: ${e.message}`)));
    exited.then((status) => reject(new CheckFailed(
        `server exited (${status}) before listening; its stdout: ${JSON.stringify(seen)}`)));
  });
  return {proc, port: bounded(listening, "the server's 'listening on 127.0.0.1:PORT' line")};
}

export async function stopServer(proc) {
  if (proc.exitStatus !== undefined) {
    console.log(`server had already exited (${proc.exitStatus})`);
    return;
  }
  if (proc.pid === undefined) return;  // never started
  proc.kill('SIGTERM');
  try {
    console.log(`server stopped (${await bounded(proc.exited, 'server exit')})`);
  } catch {
    console.log(`server did not stop within ${TIMEOUT_MS / 1000}s of SIGTERM; killing it`);
    proc.kill('SIGKILL');
    await proc.exited;
  }
}

/**
 * Runs `checks` ([name, async (base) => ...]) one after the other against a demo started
 * with `extraArgs`, printing PASS/FAIL lines. Returns {passed, failures}.
 */
export async function runChecks(binary, extraArgs, checks, tls) {
  const failures = [];
  let passed = 0;
  const {proc, port} = startServer(binary, extraArgs);
  try {
    // Over TLS the name is localhost, which the certificate is checked against.
    const base = tls ? `wss://localhost:${await port}` : `ws://127.0.0.1:${await port}`;
    for (const [name, check] of checks) {
      try {
        await check(base);
        passed++;
        console.log(`PASS ${name}`);
      } catch (e) {
        failures.push(name);
        console.log(`FAIL ${name}: ${e instanceof CheckFailed ? e.message : e.stack}`);
      }
      if (proc.exitStatus !== undefined) {
        failures.push('server alive');
        console.log(`FAIL server exited (${proc.exitStatus}) during '${name}'`);
        break;
      }
    }
  } catch (e) {
    failures.push('server start');
    console.log(`FAIL server start: ${e.message}`);
  } finally {
    await stopServer(proc);
  }
  return {passed, failures};
}
