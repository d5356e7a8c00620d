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
// Every wait is bounded, so a hung server fails the test instead of hanging it. The client,
// the waits and the server control are node_harness.mjs's.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Client, bounded, describe, expect, runChecks, withClient as withClientOf,
} from './node_harness.mjs';

let CA;  // --tls: the test CA, the only one wss:// trusts

function withClient(url, body) {
  return withClientOf(url, body, url.startsWith('wss:') ? {ca: CA} : {});
}

function connect(url) {
  return Client.connect(url, url.startsWith('wss:') ? {ca: CA} : {});
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
    const c = await connect(`${base}/echo`);
    const {code, reason} = await c.close(4000, 'bye');
    expect(code === 4000, `server answered close 4000 with code ${code} reason ` +
                          `${JSON.stringify(reason)} (1006: no close frame)`);
  }],
  ['chat: JSON join, notices and a message to everyone', async (base) => {
    const a = await connect(`${base}/chat`);
    let b;
    try {
      await a.send(JSON.stringify({type: 'join', name: 'node-a'}));
      await nextOfType(a, 'joined', "A's welcome");
      await nextOfType(a, 'users', 'the user list at A');
      b = await connect(`${base}/chat`);
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

async function main(binary, certs) {
  let extraArgs = [];
  if (certs !== undefined) {
    CA = readFileSync(join(certs, 'ca.pem'));
    extraArgs = ['--tls-cert', join(certs, 'fullchain-rsa.pem'),
                 '--tls-key', join(certs, 'server-rsa.key')];
  }
  const {passed, failures} = await runChecks(binary, extraArgs, checks, certs !== undefined);
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
