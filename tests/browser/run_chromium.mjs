// Browser test: headless Chromium opens a WebSocket from a page served by ratchet and
// echoes text and binary messages.
//
//     node tests/browser/run_chromium.mjs path/to/ratchet-browser-server [screenshot.png]
//          [--tls CERTS_DIR] [--deflate]
//
// Starts the server on 127.0.0.1 with port 0, waits for its "listening on" line, loads
// http://127.0.0.1:PORT/ in Debian's Chromium (driven by playwright-core, which never
// downloads a browser of its own), waits for the page's window.__result, saves a screenshot,
// stops the server and exits non-zero if anything failed. Every wait is bounded.
//
// With --tls (the test PKI of tests/tls/make_certs.sh) the server gets server-rsa's chain and
// key, and Chromium loads https://localhost:PORT/ and echoes over wss://. Chromium trusts
// exactly that key: --ignore-certificate-errors-spki-list with the SHA-256 of its
// SubjectPublicKeyInfo (no blanket --ignore-certificate-errors).
//
// With --deflate the server gets --compression and Chromium loads /?deflate: the page checks
// that permessage-deflate was negotiated (ws.extensions) and echoes text and ArrayBuffers of
// 0 B to 4 MiB through it (without --deflate it checks that no extension was negotiated).
// Chromium also writes a net-log then (--log-net-log, frame headers only) to a temporary
// directory, read once the browser has closed: the messages the server sent must be plain
// under 64 bytes and compressed (RSV1) from there on when the page calls them compressible,
// and Chromium must have compressed messages it sent.
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium), RATCHET_BROWSER_SCREENSHOT (used
// when no screenshot path is given; default: none is saved).

import { X509Certificate, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  Failure, LOAD_TIMEOUT_MS, closeBrowser, launchBrowser, loadChromium, log, run, startServer,
  stopServer,
} from './harness.mjs';

const RESULT_TIMEOUT_MS = 30_000;
const OVERALL_TIMEOUT_MS = 180_000;  // below CTest's 300 s, so this script reports it

const argv = process.argv.slice(2);
const tlsAt = argv.indexOf('--tls');
const certs = tlsAt >= 0 ? argv.splice(tlsAt, 2)[1] : undefined;
const deflateAt = argv.indexOf('--deflate');
const deflate = deflateAt >= 0;
if (deflate) argv.splice(deflateAt, 1);
const [serverPath, screenshotArg] = argv;
const screenshotPath = screenshotArg || process.env.RATCHET_BROWSER_SCREENSHOT || '';

const MIN_COMPRESSED = 64;  // ratchet::Compression::minSize, the browser server's

/**
 * Reads Chromium's net-log for the WebSocket frame headers and compares the first frame of
 * every data message with what the page says it sent; returns the problems found.
 */
function checkFrames(netLogPath, sent) {
  let netLog;
  try {
    netLog = JSON.parse(readFileSync(netLogPath, 'utf8'));
  } catch (e) {
    return [`cannot read Chromium's net-log ${netLogPath}: ${e.message}`];
  }
  const types = netLog.constants?.logEventTypes ?? {};
  const frames = (name) => netLog.events.filter((e) => e.type === types[name])
                             .map((e) => e.params)
                             .filter((p) => p.opcode === 1 || p.opcode === 2);  // starts only
  const received = frames('WEBSOCKET_RECV_FRAME_HEADER');
  const sentFrames = frames('WEBSOCKET_SENT_FRAME_HEADER');
  const problems = [];
  if (received.length !== sent.length || sentFrames.length !== sent.length)
    return [`net-log: ${sent.length} messages sent by the page, but ${sentFrames.length} ` +
            `message starts sent and ${received.length} received in the frame headers`];
  let serverCompressed = 0;
  let browserCompressed = 0;
  sent.forEach(({bytes, compressible}, i) => {
    const f = received[i];
    serverCompressed += f.reserved1;
    browserCompressed += sentFrames[i].reserved1;
    const what = `message ${i + 1} (${bytes} bytes)`;
    if (bytes < MIN_COMPRESSED && (f.reserved1 || f.payload_length !== bytes))
      problems.push(`${what} came back with RSV1 ${f.reserved1}, ${f.payload_length} ` +
                    `bytes; expected uncompressed under ${MIN_COMPRESSED} B`);
    // Compressed, and from 1000 bytes on to less than half (the page's compressible data
    // shrinks far more).
    if (bytes >= MIN_COMPRESSED && compressible &&
        !(f.reserved1 && (bytes < 1000 || f.payload_length < bytes / 2)))
      problems.push(`${what} came back with RSV1 ${f.reserved1}, ${f.payload_length} ` +
                    'bytes; expected compressed');
  });
  if (browserCompressed === 0) problems.push('net-log: Chromium compressed none of its messages');
  log(`net-log: ${sent.length} echoes; compressed by the server ${serverCompressed}, by ` +
      `Chromium ${browserCompressed}`);
  return problems;
}

async function main() {
  if (!serverPath) throw new Failure('usage: node run_chromium.mjs SERVER [SCREENSHOT.png]');
  const chromium = await loadChromium();

  let serverArgs = ['--port', '0', ...(deflate ? ['--compression'] : [])];
  let browserArgs = [];
  if (certs !== undefined) {
    const chain = join(certs, 'fullchain-rsa.pem');
    serverArgs = [...serverArgs, '--host', 'localhost', '--tls-cert', chain,
                  '--tls-key', join(certs, 'server-rsa.key')];
    // The SHA-256 of the server's SubjectPublicKeyInfo, base64: what
    // `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
    // openssl dgst -sha256 -binary | base64` prints.
    const spki = new X509Certificate(readFileSync(chain)).publicKey.export(
        {type: 'spki', format: 'der'});
    const hash = createHash('sha256').update(spki).digest('base64');
    browserArgs = [`--ignore-certificate-errors-spki-list=${hash}`];
  }
  let netLogDir;
  if (deflate) {
    netLogDir = mkdtempSync(join(tmpdir(), 'ratchet-netlog-'));
    process.on('exit', () => rmSync(netLogDir, {recursive: true, force: true}));
    browserArgs.push(`--log-net-log=${join(netLogDir, 'netlog.json')}`,
                     '--net-log-capture-mode=Default');  // headers, no payloads
  }
  const server = await startServer(serverPath, {args: serverArgs});
  const url = (certs !== undefined ? `https://localhost:${server.port}/`
                                   : `http://127.0.0.1:${server.port}/`) +
              (deflate ? '?deflate' : '');
  log(`server listening, loading ${url}`);
  let browser;
  let result;
  const problems = [];
  const consoleLines = [];
  try {
    browser = await launchBrowser(chromium, browserArgs);
    const page = await browser.newPage({viewport: {width: 1000, height: 700}});
    page.on('console', (m) => consoleLines.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`page error: ${e.message}`));

    const response = await page.goto(url, {timeout: LOAD_TIMEOUT_MS, waitUntil: 'load'});
    if (!response || response.status() !== 200)
      throw new Failure(`GET ${url} answered ${response ? response.status() : 'nothing'}`);

    try {
      await page.waitForFunction(() => window.__result !== undefined, null,
                                 {timeout: RESULT_TIMEOUT_MS});
      result = await page.evaluate(() => window.__result);
    } catch (e) {
      problems.push(`the page set no window.__result within ${RESULT_TIMEOUT_MS / 1000}s ` +
                    `(${e.message.split('\n')[0]})`);
    }
    if (screenshotPath) {
      mkdirSync(dirname(screenshotPath), {recursive: true});
      await page.screenshot({path: screenshotPath, fullPage: true, timeout: LOAD_TIMEOUT_MS});
      log(`screenshot: ${screenshotPath}`);
    }
    if (result) {
      for (const d of result.details ?? []) log(`  ${d}`);
      const scheme = certs !== undefined ? 'wss://' : 'ws://';
      if (!(result.details ?? []).some((d) => d.startsWith(`ok   connected to ${scheme}`)))
        problems.push(`the page did not connect over ${scheme}`);
      const negotiated = deflate ? 'ok   permessage-deflate negotiated'
                                 : 'ok   no extension negotiated';
      if (!(result.details ?? []).some((d) => d.startsWith(negotiated)))
        problems.push(`the page did not report "${negotiated.slice(5)}"`);
      if (result.ok !== true) problems.push('the page reported failed checks (FAIL lines above)');
    }
  } catch (e) {
    problems.push(e.message);
  } finally {
    if (browser) {
      const closeProblem = await closeBrowser(browser);
      if (closeProblem) problems.push(closeProblem);
    }
    const stopProblem = await stopServer(server);
    if (stopProblem) problems.push(stopProblem);
  }
  // Chromium writes the net-log out as it closes.
  if (deflate && browser && result?.sent)
    problems.push(...checkFrames(join(netLogDir, 'netlog.json'), result.sent));

  if (problems.length) {
    for (const line of consoleLines) log(line);
    if (server.output.length) log(`server output:\n${server.output.join('').trimEnd()}`);
    throw new Failure(problems.join('; '));
  }
}

await run(main, {passMessage: 'Chromium echoed text and binary messages through ratchet' +
                             (certs !== undefined ? ' over https:// and wss://' : '') +
                             (deflate ? ', 0 B to 4 MiB with permessage-deflate' : ''),
                 overallMs: OVERALL_TIMEOUT_MS});
