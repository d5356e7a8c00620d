// Browser test: headless Chromium opens a WebSocket from a page served by ratchet and
// echoes text and binary messages.
//
//     node tests/browser/run_chromium.mjs path/to/ratchet-browser-server [screenshot.png]
//          [--tls CERTS_DIR]
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
// Environment: CHROMIUM_PATH (default /usr/bin/chromium), RATCHET_BROWSER_SCREENSHOT (used
// when no screenshot path is given; default: none is saved).

import { X509Certificate, createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
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
const [serverPath, screenshotArg] = argv;
const screenshotPath = screenshotArg || process.env.RATCHET_BROWSER_SCREENSHOT || '';

async function main() {
  if (!serverPath) throw new Failure('usage: node run_chromium.mjs SERVER [SCREENSHOT.png]');
  const chromium = await loadChromium();

  let serverArgs = ['--port', '0'];
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
  const server = await startServer(serverPath, {args: serverArgs});
  const url = certs !== undefined ? `https://localhost:${server.port}/`
                                  : `http://127.0.0.1:${server.port}/`;
  log(`server listening, loading ${url}`);
  let browser;
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

    let result;
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

  if (problems.length) {
    for (const line of consoleLines) log(line);
    if (server.output.length) log(`server output:\n${server.output.join('').trimEnd()}`);
    throw new Failure(problems.join('; '));
  }
}

await run(main, {passMessage: 'Chromium echoed text and binary messages through ratchet' +
                             (certs !== undefined ? ' over https:// and wss://' : ''),
                 overallMs: OVERALL_TIMEOUT_MS});
