// Browser test: headless Chromium opens a WebSocket from a page served by ratchet and
// echoes text and binary messages.
//
//     node tests/browser/run_chromium.mjs path/to/ratchet-browser-server [screenshot.png]
//
// Starts the server on 127.0.0.1 with port 0, waits for its "listening on" line, loads
// http://127.0.0.1:PORT/ in Debian's Chromium (driven by playwright-core, which never
// downloads a browser of its own), waits for the page's window.__result, saves a screenshot,
// stops the server and exits non-zero if anything failed. Every wait is bounded.
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium), RATCHET_BROWSER_SCREENSHOT (used
// when no screenshot path is given; default: none is saved).

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Failure, LOAD_TIMEOUT_MS, closeBrowser, launchBrowser, loadChromium, log, run, startServer,
  stopServer,
} from './harness.mjs';

const RESULT_TIMEOUT_MS = 30_000;
const OVERALL_TIMEOUT_MS = 180_000;  // below CTest's 300 s, so this script reports it

const [serverPath, screenshotArg] = process.argv.slice(2);
const screenshotPath = screenshotArg || process.env.RATCHET_BROWSER_SCREENSHOT || '';

async function main() {
  if (!serverPath) throw new Failure('usage: node run_chromium.mjs SERVER [SCREENSHOT.png]');
  const chromium = await loadChromium();

  const server = await startServer(serverPath);
  const url = `http://127.0.0.1:${server.port}/`;
  log(`server listening, loading ${url}`);
  let browser;
  const problems = [];
  const consoleLines = [];
  try {
    browser = await launchBrowser(chromium);
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

await run(main, {passMessage: 'Chromium echoed text and binary messages through ratchet',
                 overallMs: OVERALL_TIMEOUT_MS});
