// Shared pieces of the browser tests (run_chromium.mjs, run_demo.mjs): bounded waits,
// starting and stopping a ratchet server, launching Debian's Chromium through
// playwright-core, and the PASS/FAIL exit protocol CTest reads.
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export const LISTEN_TIMEOUT_MS = 10_000;
export const LAUNCH_TIMEOUT_MS = 60_000;
export const LOAD_TIMEOUT_MS = 15_000;
export const STOP_TIMEOUT_MS = 10_000;
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** An expected way for a test to fail: reported as its message, without a stack. */
export class Failure extends Error {}

export function log(line) {
  console.log(`browser: ${line}`);
}

/** Resolves with `promise`, or rejects with a Failure naming `what` after `ms`. */
export function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Failure(`timed out after ${ms / 1000}s: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts the server at `path` with `args`; resolves with {child, port, output, exited} once
 * a stdout line matched `listening` (whose first group is the port). On failure the
 * rejection carries what the server printed as `serverOutput`.
 */
export function startServer(path, {args = ['--port', '0'],
                                   listening = /listening on 127\.0\.0\.1:(\d+)/} = {}) {
  const child = spawn(path, args, {stdio: ['ignore', 'pipe', 'pipe']});
  // Never leave it running, whatever way this script exits (the watchdog included).
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const output = [];  // everything it printed, for the failure report
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({code, signal})));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => output.push(s));
  const ready = new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new Failure(`cannot start ${path}: ${e.message}`)));
    exited.then(({code, signal}) => reject(new Failure(
        `server exited (${signal ?? `status ${code}`}) before it was listening`)));
    const lines = createInterface({input: child.stdout});
    lines.on('line', (line) => {
      output.push(line + '\n');
      const m = listening.exec(line);
      if (m) resolve(Number(m[1]));
    });
  });
  return bounded(ready, LISTEN_TIMEOUT_MS, `"listening on" line from ${path}`)
      .then((port) => ({child, port, output, exited}))
      .catch((e) => { child.kill('SIGKILL'); e.serverOutput = output; throw e; });
}

/** SIGTERM, then SIGKILL if it does not stop in time. Returns a problem, or null. */
export async function stopServer(server) {
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

/** Loads playwright-core and checks for Chromium; throws a Failure saying what to install. */
export async function loadChromium() {
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
  return chromium;
}

/** Launches headless Chromium; the caller closes it (closeBrowser). */
export async function launchBrowser(chromium, extraArgs = []) {
  // launch() gives Chromium a fresh temporary --user-data-dir and removes it on close.
  const browser = await bounded(chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: LAUNCH_TIMEOUT_MS,
  }), LAUNCH_TIMEOUT_MS + 5_000, `launch ${CHROMIUM}`);
  log(`launched Chromium ${browser.version()}`);
  return browser;
}

/** Closes the browser; returns a problem, or null. */
export async function closeBrowser(browser) {
  try {
    await bounded(browser.close(), STOP_TIMEOUT_MS, 'Chromium to close');
    return null;
  } catch (e) {
    return e.message;
  }
}

/**
 * Runs `main` under a watchdog of `overallMs` and exits: 0 with "PASS: `passMessage`", or 1
 * with "FAIL: ..." (a Failure's message, anything else's stack).
 */
export async function run(main, {passMessage, overallMs}) {
  const watchdog = setTimeout(() => {
    console.log(`FAIL: browser test did not finish within ${overallMs / 1000}s`);
    process.exit(1);
  }, overallMs);
  watchdog.unref();

  try {
    await main();
    console.log(`PASS: ${passMessage}`);
    process.exit(0);
  } catch (e) {
    if (e.serverOutput?.length) log(`server output:\n${e.serverOutput.join('').trimEnd()}`);
    console.log(`FAIL: ${e instanceof Failure ? e.message : e.stack}`);
    process.exit(1);
  }
}
