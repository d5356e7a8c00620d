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

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

const LISTEN_TIMEOUT_MS = 10_000;
const LAUNCH_TIMEOUT_MS = 60_000;
const LOAD_TIMEOUT_MS = 15_000;
const RESULT_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const OVERALL_TIMEOUT_MS = 180_000;  // below CTest's 300 s, so this script reports it
const LISTENING = /listening on 127\.0\.0\.1:(\d+)/;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const [serverPath, screenshotArg] = process.argv.slice(2);
const screenshotPath = screenshotArg || process.env.RATCHET_BROWSER_SCREENSHOT || '';

class Failure extends Error {}

function log(line) {
  console.log(`browser: ${line}`);
}

/** Resolves with `promise`, or rejects with a Failure naming `what` after `ms`. */
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Failure(`timed out after ${ms / 1000}s: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts the server; resolves with {child, port, output} once it printed its port. */
function startServer(path) {
  const child = spawn(path, ['--port', '0'], {stdio: ['ignore', 'pipe', 'pipe']});
  // Never leave it running, whatever way this script exits (the watchdog included).
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const output = [];  // everything it printed, for the failure report
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({code, signal})));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => output.push(s));
  const listening = new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new Failure(`cannot start ${path}: ${e.message}`)));
    exited.then(({code, signal}) => reject(new Failure(
        `server exited (${signal ?? `status ${code}`}) before it was listening`)));
    const lines = createInterface({input: child.stdout});
    lines.on('line', (line) => {
      output.push(line + '\n');
      const m = LISTENING.exec(line);
      if (m) resolve(Number(m[1]));
    });
  });
  return bounded(listening, LISTEN_TIMEOUT_MS, `"listening on" line from ${path}`)
      .then((port) => ({child, port, output, exited}))
      .catch((e) => { child.kill('SIGKILL'); e.serverOutput = output; throw e; });
}

/** SIGTERM, then SIGKILL if it does not stop in time. Returns a problem, or null. */
async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null)
    return `server died during the test (${server.child.signalCode ?? `status ${server.child.exitCode}`})`;
  server.child.kill('SIGTERM');
  try {
    const {code, signal} = await bounded(server.exited, STOP_TIMEOUT_MS, 'server to stop on SIGTERM');
    return code === 0 ? null : `server stopped with ${signal ?? `status ${code}`} after SIGTERM`;
  } catch (e) {
    server.child.kill('SIGKILL');
    return e.message;
  }
}

async function main() {
  if (!serverPath) throw new Failure('usage: node run_chromium.mjs SERVER [SCREENSHOT.png]');
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Failure(`cannot load playwright-core (${e.message}); run \`npm ci\` in ` +
                      'tests/browser (scripts/browser.sh does)');
  }
  if (!existsSync(CHROMIUM))
    throw new Failure(`no Chromium at ${CHROMIUM}; install Debian's chromium package ` +
                      '(scripts/browser.sh does) or set CHROMIUM_PATH');

  const server = await startServer(serverPath);
  const url = `http://127.0.0.1:${server.port}/`;
  log(`server listening, loading ${url}`);
  let browser;
  const problems = [];
  const consoleLines = [];
  try {
    // launch() gives Chromium a fresh temporary --user-data-dir and removes it on close.
    browser = await bounded(chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: LAUNCH_TIMEOUT_MS,
    }), LAUNCH_TIMEOUT_MS + 5_000, `launch ${CHROMIUM}`);
    log(`launched Chromium ${browser.version()}`);
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
      try {
        await bounded(browser.close(), STOP_TIMEOUT_MS, 'Chromium to close');
      } catch (e) {
        problems.push(e.message);
      }
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

const watchdog = setTimeout(() => {
  console.log(`FAIL: browser test did not finish within ${OVERALL_TIMEOUT_MS / 1000}s`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

try {
  await main();
  console.log('PASS: Chromium echoed text and binary messages through ratchet');
  process.exit(0);
} catch (e) {
  if (e.serverOutput?.length) log(`server output:\n${e.serverOutput.join('').trimEnd()}`);
  console.log(`FAIL: ${e instanceof Failure ? e.message : e.stack}`);
  process.exit(1);
}
