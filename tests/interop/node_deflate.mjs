// Interop test: permessage-deflate (RFC 7692) between the Node.js `ws` client
// (tests/interop/package-lock.json) and the ratchet demo server.
//
//     node tests/interop/node_deflate.mjs path/to/ratchet-demo [--tls CERTS_DIR]
//
// Runs the demo twice on 127.0.0.1 with port 0:
//   * as it starts by default (compression on), with the client's perMessageDeflate set to
//     true (ws's default offer), {threshold: 0}, {clientNoContextTakeover, threshold: 0,
//     serverMaxWindowBits: 10} and {clientNoContextTakeover} (ws's 1024-byte threshold):
//     ws.extensions names permessage-deflate, the response has the parameters asked for,
//     text and binary of 0 B to 4 MiB echo intact, the server compresses what is 64 B or
//     more and sends smaller messages plain, and the client compresses what ws should
//     (everything while it keeps its context: ws applies its threshold only without it);
//   * with --no-compression: nothing is negotiated and the same echoes work.
// Which messages went compressed is seen through the connection's PerMessageDeflate object
// (ws's `_extensions`): ws calls its compress() and decompress() for exactly the messages
// whose first frame has RSV1.
// With --tls both run over wss://localhost:PORT like node_client.mjs --tls.
// Every wait is bounded, so a hung server fails the test instead of hanging it.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, CheckFailed, bounded, describe, expect, runChecks } from './node_harness.mjs';

const MIN_COMPRESSED = 64;  // the demo's Compression::minSize
const SIZES = [0, 1, 63, 64, 65, 1000, 64 * 1024, 1024 * 1024, 4 * 1024 * 1024];
let CA;  // --tls: the test CA, the only one wss:// trusts

function compressibleText(size) {  // ASCII: `size` chars are `size` bytes
  const line = 'the quick brown fox jumps over the lazy dog 0123456789\n';
  return line.repeat(Math.ceil(size / line.length) + 1).slice(0, size);
}

function multibyteText(chars) {  // 1- to 3-byte UTF-8 sequences, boundaries everywhere
  return 'x\u20acy\u00e9z'.repeat(Math.ceil(chars / 5) + 1).slice(0, chars);
}

function compressibleBinary(size) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; ++i) b[i] = Math.floor(i * 7 / 64) & 0xff;
  return b;
}

/** [what, data, binary, mustCompress]: what the checks echo. */
function payloads() {
  const list = [];
  for (const size of SIZES) list.push([`text(${size} B, compressible)`, compressibleText(size), false, true]);
  list.push(['text(1 Mi chars of 1-3 byte UTF-8)', multibyteText(1024 * 1024), false, true]);
  for (const size of SIZES) list.push([`binary(${size} B, random)`, randomBytes(size), true, false]);
  for (const size of [1000, 1024 * 1024])
    list.push([`binary(${size} B, compressible)`, compressibleBinary(size), true, true]);
  return list;
}

function connect(url, perMessageDeflate) {
  return Client.connect(url, {perMessageDeflate, ...(url.startsWith('wss:') ? {ca: CA} : {})});
}

/**
 * Counts the messages the connection compressed and inflated: ws runs the first frame of
 * every message with RSV1 through compress()/decompress(), the last one with fin set.
 */
function countFrames(c) {
  const ext = c.ws._extensions['permessage-deflate'];
  expect(ext, `no PerMessageDeflate object although ws.extensions is "${c.ws.extensions}"`);
  const counts = {sent: 0, received: 0};
  const {compress, decompress} = ext;
  ext.compress = function(data, fin, cb) {
    if (fin) counts.sent++;
    return compress.call(this, data, fin, cb);
  };
  ext.decompress = function(data, fin, cb) {
    if (fin) counts.received++;
    return decompress.call(this, data, fin, cb);
  };
  return counts;
}

async function echo(c, what, data, binary) {
  const sent = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  await c.send(data, {binary});
  const got = await c.next(`echo of ${what}`);
  expect(got.binary === binary, `echo of ${what} came back as ${describe(got)}`);
  if (!got.data.equals(sent)) {
    let at = 0;
    while (at < got.data.length && at < sent.length && got.data[at] === sent[at]) ++at;
    throw new CheckFailed(`echo of ${what} differs from byte ${at} (got ${describe(got)})`);
  }
  return sent.length;
}

function responseExtensions(c) {
  return c.response?.headers['sec-websocket-extensions'];
}

/**
 * A check of one client configuration: `option` is its perMessageDeflate, `params` the
 * response parameters expected (sorted), `clientCompresses(size)` whether ws compresses a
 * message of `size` bytes under them.
 */
function deflateCheck(option, params, clientCompresses) {
  return async (base) => {
    const c = await connect(`${base}/echo`, option);
    try {
      const header = responseExtensions(c);
      expect(c.ws.extensions === 'permessage-deflate',
             `ws.extensions is ${JSON.stringify(c.ws.extensions)}; the server answered ` +
             `Sec-WebSocket-Extensions ${JSON.stringify(header)}`);
      const got = String(header).split(';').map((s) => s.trim());
      expect(got[0] === 'permessage-deflate' &&
             JSON.stringify(got.slice(1).sort()) === JSON.stringify(params),
             `Sec-WebSocket-Extensions ${JSON.stringify(header)}, expected permessage-deflate ` +
             `with ${params.join(', ')}`);
      console.log(`  negotiated "${header}"`);
      const counts = countFrames(c);
      let serverCompressed = 0;
      let messages = 0;
      for (const [what, data, binary, mustCompress] of payloads()) {
        const before = {...counts};
        const size = await echo(c, what, data, binary);
        ++messages;
        const sentCompressed = counts.sent - before.sent;
        const receivedCompressed = counts.received - before.received;
        expect(sentCompressed === (clientCompresses(size) ? 1 : 0),
               `${what}: the client compressed ${sentCompressed} messages (ws changed?)`);
        if (size < MIN_COMPRESSED)
          expect(receivedCompressed === 0,
                 `${what}: the server compressed a message under ${MIN_COMPRESSED} B`);
        else if (mustCompress)
          expect(receivedCompressed === 1, `${what}: the server sent it uncompressed`);
        serverCompressed += receivedCompressed;
      }
      console.log(`  ${messages} echoes intact; compressed: ${counts.sent} by the client, ` +
                  `${serverCompressed} by the server`);
    } finally {
      await c.closeQuietly();
    }
  };
}

const always = () => true;

const deflateChecks = [
  // The server asks every client for client_no_context_takeover (its default), under
  // which ws applies its threshold (1024 B by default).
  ['deflate: perMessageDeflate true, 0 B - 4 MiB echoed',
   deflateCheck(true, ['client_no_context_takeover', 'server_no_context_takeover'],
                (size) => size >= 1024)],
  ['deflate: threshold 0, 0 B - 4 MiB echoed',
   deflateCheck({threshold: 0}, ['client_no_context_takeover', 'server_no_context_takeover'],
                always)],
  ['deflate: clientNoContextTakeover, threshold 0, serverMaxWindowBits 10',
   deflateCheck({clientNoContextTakeover: true, threshold: 0, serverMaxWindowBits: 10},
                ['client_no_context_takeover', 'server_max_window_bits=10',
                 'server_no_context_takeover'], always)],
  ['deflate: clientNoContextTakeover (threshold 1024: small messages plain)',
   deflateCheck({clientNoContextTakeover: true},
                ['client_no_context_takeover', 'server_no_context_takeover'],
                (size) => size >= 1024)],
  ['deflate: fragmented compressed message', async (base) => {
    const c = await connect(`${base}/echo`, true);
    try {
      const counts = countFrames(c);
      // RSV1 on the first frame only, one deflate stream across the frames.
      const fragments = [multibyteText(100_000), '', compressibleText(200_000), 'end \u20ac'];
      for (let i = 0; i < fragments.length; ++i)
        await c.send(fragments[i], {fin: i === fragments.length - 1});
      const got = await c.next('echo of the fragmented message');
      const whole = fragments.join('');
      expect(!got.binary && got.data.toString('utf8') === whole,
             `fragmented message echoed as ${describe(got)}, expected one whole text of ` +
             `${whole.length} chars`);
      expect(counts.sent === 1 && counts.received === 1,
             `compressed messages: ${counts.sent} sent, ${counts.received} received`);
      await echo(c, "text 'after'", 'after', false);
    } finally {
      await c.closeQuietly();
    }
  }],
];

const plainChecks = [
  ['--no-compression: nothing negotiated, 0 B - 4 MiB echoed', async (base) => {
    const c = await connect(`${base}/echo`, true);  // still offers permessage-deflate
    try {
      expect(c.ws.extensions === '' && responseExtensions(c) === undefined,
             `negotiated with --no-compression: ws.extensions ` +
             `${JSON.stringify(c.ws.extensions)}, Sec-WebSocket-Extensions ` +
             `${JSON.stringify(responseExtensions(c))}`);
      for (const [what, data, binary] of payloads()) await echo(c, what, data, binary);
    } finally {
      await c.closeQuietly();
    }
  }],
];

async function main(binary, certs) {
  let tlsArgs = [];
  if (certs !== undefined) {
    CA = readFileSync(join(certs, 'ca.pem'));
    tlsArgs = ['--tls-cert', join(certs, 'fullchain-rsa.pem'),
               '--tls-key', join(certs, 'server-rsa.key')];
  }
  const tls = certs !== undefined;
  const a = await runChecks(binary, tlsArgs, deflateChecks, tls);
  const b = await runChecks(binary, [...tlsArgs, '--no-compression'], plainChecks, tls);
  const failures = [...a.failures, ...b.failures];
  console.log(`node ws permessage-deflate${tls ? ' over TLS' : ''}: ${a.passed + b.passed} of ` +
              `${deflateChecks.length + plainChecks.length} checks passed; failed: ` +
              `${failures.join(', ') || 'none'}`);
  return failures.length ? 1 : 0;
}

const args = process.argv.slice(2);
if (!(args.length === 1 || (args.length === 3 && args[1] === '--tls'))) {
  console.error('usage: node node_deflate.mjs path/to/ratchet-demo [--tls CERTS_DIR]');
  process.exit(2);
}
process.exitCode = await main(args[0], args[2]);
// Nothing may keep the process alive after the verdict (e.g. a stuck socket).
process.exit(process.exitCode);
