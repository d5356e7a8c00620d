// Interop test: the Node.js `ws` client (tests/interop/package-lock.json) against the
// ratchet demo server.
//
//     node tests/interop/node_client.mjs path/to/ratchet-demo [--tls CERTS_DIR]
//
// Starts the server on 127.0.0.1 with port 0, waits for its "listening on" line, runs the
// checks against /echo and /chat, stops the server and exits non-zero if any check failed.
// With --tls (the test PKI of tests/tls/make_certs.sh) the server gets --tls-cert
// fullchain-rsa.pem --tls-key server-rsa.key and the same checks run over
// wss://localhost:PORT, the client trusting only CERTS_DIR/ca.pem (`ca:`).
// Every wait is bounded, so a hung server fails the test instead of hanging it.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const TIMEOUT_MS = 10_000;
const LISTENING = /listening on 127\.0\.0\.1:(\d+)/;
let CA;  // --tls: the test CA, the only one wss:// trusts

let WebSocket;
try {
  ({ WebSocket } = await import('ws'));
} catch (e) {
  // A missing client is a failure, never a skip.
  console.log(`FAIL: cannot load the ws package (${e.message}); run ` +
              '`npm ci` in tests/interop (scripts/test.sh does)');
  process.exit(1);
}

class CheckFailed extends Error {}

function expect(cond, what) {
  if (!cond) throw new CheckFailed(what);
}

function describe(m) {
  if (m === undefined) return 'nothing';
  const s = m.data.toString('utf8');
  return m.binary ? `binary(${m.data.length} bytes)`
                  : `text(${s.length} chars: ${JSON.stringify(s.slice(0, 40))}` +
                    `${s.length > 40 ? '...' : ''})`;
}

/** Resolves with `promise`, or fails the check after TIMEOUT_MS. */
function bounded(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
        () => reject(new CheckFailed(`timed out after ${TIMEOUT_MS / 1000}s: ${what}`)),
        TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A ws client whose events are queued so that checks can await them one at a time. */
class Client {
  constructor(ws) {
    this.ws = ws;
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

  static async connect(url) {
    const ws = new WebSocket(url, {maxPayload: 64 * 1024 * 1024,  // sends no Origin
                                   ...(url.startsWith('wss:') ? {ca: CA} : {})});
    await bounded(new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);  // e.g. "Unexpected server response: 403"
    }), `connect to ${url}`);
    return new Client(ws);
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

/** The next message of `c`, which must be a JSON text message of `type`. */
async function nextOfType(c, type, what) {
  const got = await c.next(what);
  expect(!got.binary, `${what}: ${describe(got)} is not text`);
  const message = JSON.parse(got.data.toString());
  expect(message.type === type, `${what}: ${got.data}, expected type ${type}`);
  return message;
}

async function echoRoundTrip(c, data, binary) {
  const sent = {data: Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'), binary};
  await c.send(data, {binary});
  const got = await c.next(`echo of ${describe(sent)}`);
  expect(got.binary === binary, `echo of ${describe(sent)} came back as ${describe(got)}`);
  expect(got.data.equals(sent.data),
         `echo of ${describe(sent)} differs: got ${describe(got)}`);
}

async function withClient(url, body) {
  const c = await Client.connect(url);
  try {
    await body(c);
  } finally {
    await c.closeQuietly();
  }
}

// --- the checks ----------------------------------------------------------------------------

const checks = [
  ['echo: text round trips', (base) => withClient(`${base}/echo`, async (c) => {
    const long = 'x\u20acy'.repeat(10) + 'a'.repeat(69_970);
    expect(long.length === 70_000, 'test bug: length');
    for (const text of ['hello', '\u20ac', long]) await echoRoundTrip(c, text, false);
  })],
  ['echo: binary round trips', (base) => withClient(`${base}/echo`, async (c) => {
    for (const size of [0, 1, 125, 126, 65536, 1024 * 1024]) {
      await echoRoundTrip(c, randomBytes(size), true);
    }
  })],
  ['echo: fragmented message', (base) => withClient(`${base}/echo`, async (c) => {
    // fin:false sends a frame without FIN (text, then continuations); fin:true ends it.
    await c.send('frag', {fin: false});
    await c.send('men', {fin: false});
    await c.send('', {fin: false});
    await c.send('ted \u20ac', {fin: true});
    const got = await c.next('echo of the fragmented message');
    expect(!got.binary && got.data.toString('utf8') === 'fragmented \u20ac',
           `fragmented message echoed as ${describe(got)}, expected one whole text ` +
           `"fragmented \u20ac"`);
  })],
  ['echo: ping -> pong', (base) => withClient(`${base}/echo`, async (c) => {
    const pong = new Promise((resolve) => c.ws.once('pong', resolve));
    c.ws.ping(Buffer.from('x'));
    const payload = await bounded(pong, "pong for ping 'x'");
    expect(payload.toString() === 'x', `pong payload ${JSON.stringify(payload.toString())}`);
    await echoRoundTrip(c, 'after ping', false);
  })],
  ['echo: close 4000 \'bye\' echoed', async (base) => {
    const c = await Client.connect(`${base}/echo`);
    const {code, reason} = await c.close(4000, 'bye');
    expect(code === 4000, `server answered close 4000 with code ${code} reason ` +
                          `${JSON.stringify(reason)} (1006: no close frame)`);
  }],
  ['chat: JSON join, notices and a message to everyone', async (base) => {
    const a = await Client.connect(`${base}/chat`);
    let b;
    try {
      await a.send(JSON.stringify({type: 'join', name: 'node-a'}));
      await nextOfType(a, 'joined', "A's welcome");
      await nextOfType(a, 'users', 'the user list at A');
      b = await Client.connect(`${base}/chat`);
      await b.send(JSON.stringify({type: 'join', name: 'node-b'}));
      await nextOfType(b, 'joined', "B's welcome");
      let got = await nextOfType(a, 'system', 'the join notice at A');
      expect(got.message === 'node-b joined', `A was told ${JSON.stringify(got)}`);
      got = await nextOfType(a, 'users', 'the new user list at A');
      expect(JSON.stringify(got.users) === '["node-a","node-b"]',
             `A's user list is ${JSON.stringify(got)}`);
      await nextOfType(b, 'users', 'the user list at B');

      await a.send(JSON.stringify({message: 'from A é'}));
      for (const [c, who] of [[b, 'B'], [a, 'A']]) {
        got = await nextOfType(c, 'usermsg', `A's message at ${who}`);
        expect(got.name === 'node-a' && got.message === 'from A é',
               `${who} received ${JSON.stringify(got)}`);
      }
      await b.send(randomBytes(10), {binary: true});
      await nextOfType(b, 'error', 'the error for a binary message');
    } finally {
      await a.closeQuietly();
      if (b) await b.closeQuietly();
    }
  }],
];

// --- the server ----------------------------------------------------------------------------

function startServer(binary, extraArgs) {
  const proc = spawn(binary, ['--address', '127.0.0.1', '--port', '0', '--threads', '2',
                              '--log-level', 'warn', ...extraArgs],
                     {stdio: ['ignore', 'pipe', 'inherit']});
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

async function stopServer(proc) {
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

async function main(binary, certs) {
  const failures = [];
  let passed = 0;
  let extraArgs = [];
  if (certs !== undefined) {
    CA = readFileSync(join(certs, 'ca.pem'));
    extraArgs = ['--tls-cert', join(certs, 'fullchain-rsa.pem'),
                 '--tls-key', join(certs, 'server-rsa.key')];
  }
  const {proc, port} = startServer(binary, extraArgs);
  try {
    // Over TLS the name is localhost, which the certificate is checked against.
    const base = certs !== undefined ? `wss://localhost:${await port}`
                                     : `ws://127.0.0.1:${await port}`;
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
  console.log(`node ws${certs !== undefined ? ' over TLS' : ''}: ${passed} of ${checks.length} checks passed; failed: ` +
              `${failures.join(', ') || 'none'}`);
  return failures.length ? 1 : 0;
}

const args = process.argv.slice(2);
if (!(args.length === 1 || (args.length === 3 && args[1] === '--tls'))) {
  console.error('usage: node node_client.mjs path/to/ratchet-demo [--tls CERTS_DIR]');
  process.exit(2);
}
process.exitCode = await main(args[0], args[2]);
// Nothing may keep the process alive after the verdict (e.g. a stuck socket).
process.exit(process.exitCode);
