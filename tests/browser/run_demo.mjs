// Browser test of the demo: headless Chromium uses the real chat and bot pages
// (apps/demo/web) of ratchet-demo, the way a person would: it fills in the forms and
// clicks the buttons.
//
//     node tests/browser/run_demo.mjs RATCHET_DEMO WEB_ROOT [SCREENSHOT.png]
//
// Starts RATCHET_DEMO on 127.0.0.1 with port 0, a random push token and WEB_ROOT, then checks
// the chat (joining, unique names, public and private messages, HTML shown as text, server
// push, leaving), the bot (time, bye) and that the chat page reconnects and re-joins by
// itself when the server is restarted on the same port. Saves a screenshot of alice's chat
// page. The first failing check ends the test. Every wait is bounded; nothing sleeps.
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium), RATCHET_BROWSER_SCREENSHOT (used
// when no screenshot path is given; default: none is saved).

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Failure, LOAD_TIMEOUT_MS, closeBrowser, launchBrowser, loadChromium, log, run, startServer,
  stopServer,
} from './harness.mjs';

const STEP_TIMEOUT_MS = 10_000;       // one UI action or one message to arrive
const RECONNECT_TIMEOUT_MS = 30_000;  // back-off tops out at 10 s, so this is three rounds
const OVERALL_TIMEOUT_MS = 240_000;   // below CTest's 300 s, so this script reports it
// The banner may go on: " (TLS; ...)", " (permessage-deflate on)".
const LISTENING = /^ratchet-demo listening on 127\.0\.0\.1:(\d+)(?: \(.*\))?$/;

const [demoPath, webRoot, screenshotArg] = process.argv.slice(2);
const screenshotPath = screenshotArg || process.env.RATCHET_BROWSER_SCREENSHOT || '';
const token = randomBytes(16).toString('hex');

// What the pages printed, for the failure report, and the console errors among it.
const consoleLines = [];
const consoleErrors = [];  // {label, text, at}
const dialogs = [];
// While the server is restarted, the chat pages' reconnect attempts fail and Chromium logs
// each as a console error; only those, and only in this window, are expected.
const restartWindow = {from: Infinity, to: -Infinity};
const serverOutputs = [];

function startDemo(port) {
  return startServer(demoPath, {
    args: ['--address', '127.0.0.1', '--port', String(port), '--push-token', token,
           '--web-root', webRoot],
    listening: LISTENING,
  }).then((server) => { serverOutputs.push(server.output); return server; },
          (e) => { serverOutputs.push(e.serverOutput ?? []); throw e; });
}

/** Runs one check: logs "ok" or throws a Failure that names it. */
async function check(what, body) {
  try {
    await body();
  } catch (e) {
    const detail = (e.message || String(e)).split('\n')[0];
    throw new Failure(`${what}: ${detail}`);
  }
  log(`ok   ${what}`);
}

function expect(condition, message) {
  if (!condition) throw new Failure(message);
}

async function openPage(browser, label, url) {
  const page = await browser.newPage({viewport: {width: 1000, height: 700}});
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('console', (m) => {
    consoleLines.push(`${label}: console.${m.type()}: ${m.text()}`);
    if (m.type() === 'error') consoleErrors.push({label, text: m.text(), at: Date.now()});
  });
  page.on('pageerror', (e) => {
    consoleLines.push(`${label}: page error: ${e.message}`);
    consoleErrors.push({label, text: `page error: ${e.message}`, at: Date.now()});
  });
  page.on('dialog', (d) => {
    dialogs.push(`${label}: ${d.type()} "${d.message()}"`);
    d.dismiss().catch(() => {});
  });
  const response = await page.goto(url, {timeout: LOAD_TIMEOUT_MS, waitUntil: 'load'});
  if (!response || response.status() !== 200)
    throw new Failure(`GET ${url} answered ${response ? response.status() : 'nothing'}`);
  return page;
}

// --- The chat page, driven through its UI ---------------------------------------------------

const stateOf = (page) => page.getByTestId('state').getAttribute('data-state');

/** Waits until the page's connection state indicator says `state` (or not, with `not`). */
async function waitState(page, state, {not = false, timeout = STEP_TIMEOUT_MS} = {}) {
  await page.waitForFunction(([want, negate]) => {
    const is = document.querySelector('[data-testid="state"]').dataset.state;
    return negate ? is !== want : is === want;
  }, [state, not], {timeout});
}

async function join(page, name, color) {
  await page.getByTestId('join-name').fill(name);
  if (color) await page.getByTestId('join-color').fill(color);
  await page.getByTestId('join-button').click();
}

async function say(page, text, to = '') {
  await page.getByTestId('to').selectOption(to);
  await page.getByTestId('text').fill(text);
  await page.getByTestId('send').click();
}

/** The message list entry whose body is exactly `text`. */
const message = (page, text) => page.locator('[data-testid="messages"] [data-testid="message"]')
    .filter({has: page.locator('.body').getByText(text, {exact: true})});
const user = (page, name) => page.locator(`[data-testid="users"] li[data-name="${name}"]`);

async function waitMessage(page, text, timeout = STEP_TIMEOUT_MS) {
  const entry = message(page, text);
  await entry.waitFor({timeout});
  return entry;
}

async function push(port, body, auth) {
  const headers = {'content-type': 'application/json'};
  if (auth !== undefined) headers.authorization = auth;
  const response = await fetch(`http://127.0.0.1:${port}/push`, {
    method: 'POST', headers, body: JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  return {status: response.status, text: await response.text()};
}

// --- The test -------------------------------------------------------------------------------

async function chatChecks(browser, port) {
  const base = `http://127.0.0.1:${port}/`;
  const pages = {};

  await check('alice and bob join and see each other in the user list', async () => {
    pages.alice = await openPage(browser, 'alice', base);
    await join(pages.alice, 'alice', '#d81b60');
    await waitState(pages.alice, 'joined');
    pages.bob = await openPage(browser, 'bob', base);
    await join(pages.bob, 'bob');
    await waitState(pages.bob, 'joined');
    await user(pages.alice, 'bob').waitFor();
    await user(pages.bob, 'alice').waitFor();
    await user(pages.alice, 'alice').waitFor();
  });

  await check('a third page cannot take "ALICE" (names are unique case-insensitively)', async () => {
    pages.carol = await openPage(browser, 'carol', base);
    await join(pages.carol, 'ALICE');
    const error = pages.carol.getByTestId('join-error');
    await error.waitFor();
    const text = (await error.textContent()).trim();
    expect(text !== '', 'the join error is empty');
    expect(await stateOf(pages.carol) !== 'joined', 'the page says it joined');
    expect(await pages.carol.getByTestId('join-form').isVisible(), 'the join form is gone');
    log(`     the server said: ${text}`);
  });

  await check('the same page then joins as carol', async () => {
    await join(pages.carol, 'carol');
    await waitState(pages.carol, 'joined');
    await user(pages.alice, 'carol').waitFor();
    await user(pages.bob, 'carol').waitFor();
  });

  await check('a public message from alice appears on every page, in her colour', async () => {
    const text = 'Hello everyone, this is alice';
    await say(pages.alice, text);
    for (const name of ['alice', 'bob', 'carol']) {
      const entry = await waitMessage(pages[name], text);
      expect(await entry.getAttribute('data-kind') === 'public',
             `${name} shows it as ${await entry.getAttribute('data-kind')}`);
      expect(await entry.getAttribute('data-from') === 'alice', `${name} shows another sender`);
    }
    const colour = await message(pages.bob, text).locator('.who')
        .evaluate((el) => getComputedStyle(el).color);
    expect(colour === 'rgb(216, 27, 96)', `alice's name is ${colour}, not her #d81b60`);
  });

  await check('a private message alice→bob reaches bob and alice marked private, not carol', async () => {
    const text = 'Psst bob, a secret';
    await say(pages.alice, text, 'bob');
    const atBob = await waitMessage(pages.bob, text);
    expect(await atBob.getAttribute('data-kind') === 'private', "bob's copy is not marked private");
    const bobTag = (await atBob.locator('.tag').textContent()).trim();
    expect(bobTag === 'private from alice', `bob's copy is marked "${bobTag}"`);
    const atAlice = await waitMessage(pages.alice, text);
    expect(await atAlice.getAttribute('data-kind') === 'private', "alice's copy is not marked private");
    const aliceTag = (await atAlice.locator('.tag').textContent()).trim();
    expect(aliceTag === 'private to bob', `alice's copy is marked "${aliceTag}"`);
    // A later public message from alice reaching carol shows the private one was not sent
    // to her: both went out from alice's connection in order.
    const after = 'Back to everyone';
    await say(pages.alice, after);
    await waitMessage(pages.carol, after);
    expect(await message(pages.carol, text).count() === 0, 'carol got the private message');
  });

  await check('<img src=x onerror=alert(1)> shows as text: no img element, no dialog', async () => {
    const text = '<img src=x onerror=alert(1)>';
    await say(pages.bob, text);
    for (const name of ['alice', 'bob', 'carol']) {
      await waitMessage(pages[name], text);
      const images = await pages[name].locator('img').count();
      expect(images === 0, `${name}'s page has ${images} img element(s)`);
    }
    expect(dialogs.length === 0, `dialogs opened: ${dialogs.join('; ')}`);
  });

  await check('POST /push: 401 without or with a wrong token, 200 with delivered >= 3', async () => {
    const bad = 'pushed with a wrong token';
    const wrong = await push(port, {route: '/chat', message: {type: 'system', message: bad}},
                             `Bearer ${token}x`);
    expect(wrong.status === 401, `a wrong token got ${wrong.status} ${wrong.text}`);
    const none = await push(port, {route: '/chat', message: {type: 'system', message: bad}});
    expect(none.status === 401, `no token got ${none.status} ${none.text}`);
    const text = `pushed by the test at ${new Date().toISOString()}`;
    const ok = await push(port, {route: '/chat', message: {type: 'system', message: text}},
                          `Bearer ${token}`);
    expect(ok.status === 200, `the right token got ${ok.status} ${ok.text}`);
    let delivered;
    try {
      ({delivered} = JSON.parse(ok.text));
    } catch {
      throw new Failure(`the answer is not JSON: ${ok.text}`);
    }
    expect(Number.isInteger(delivered) && delivered >= 3,
           `delivered is ${JSON.stringify(delivered)}, expected >= 3 (open chat pages)`);
    for (const name of ['alice', 'bob', 'carol']) {
      const entry = await waitMessage(pages[name], text);
      expect(await entry.getAttribute('data-kind') === 'system', `${name} does not show it as system`);
      expect(await message(pages[name], bad).count() === 0, `${name} shows a rejected push`);
    }
    log(`     delivered: ${delivered}`);
  });

  await check('when bob closes his page, alice sees "bob left" and bob leaves the list', async () => {
    await pages.bob.close();
    delete pages.bob;
    const entry = await waitMessage(pages.alice, 'bob left');
    expect(await entry.getAttribute('data-kind') === 'system', '"bob left" is not a system line');
    await user(pages.alice, 'bob').waitFor({state: 'detached'});
    expect(await pages.alice.getByTestId('to').locator('option[value="bob"]').count() === 0,
           'bob is still a "to" choice');
  });

  return pages;
}

async function botChecks(browser, port) {
  const page = await openPage(browser, 'bot', `http://127.0.0.1:${port}/bot.html`);
  const botLines = () => page.locator('[data-testid="transcript"] [data-who="bot"] .body').allTextContents();

  await check('bot page: "time" is answered with HH:MM', async () => {
    await waitState(page, 'open');
    const before = (await botLines()).length;
    await page.getByTestId('cmd-time').click();
    await page.waitForFunction((n) => {
      const lines = [...document.querySelectorAll('[data-testid="transcript"] [data-who="bot"]')];
      return lines.slice(n).some((li) => /\b\d\d:\d\d\b/.test(li.textContent));
    }, before, {timeout: STEP_TIMEOUT_MS});
    log(`     the bot said: ${(await botLines()).slice(before).join(' | ')}`);
  });

  await check('bot page: "bye" is answered, then the page shows the close with code 1000', async () => {
    const before = (await botLines()).length;
    await page.getByTestId('bot-input').fill('bye');
    await page.getByTestId('bot-send').click();
    const closed = page.getByTestId('bot-closed');
    await closed.waitFor();
    const code = await closed.getAttribute('data-code');
    expect(code === '1000', `the close code is ${code}`);
    expect((await closed.textContent()).includes('1000'), 'the page does not show the code');
    expect((await botLines()).length > before, 'no answer to "bye" before the close');
    expect(await page.getByTestId('reconnect').isVisible(), 'no reconnect button');
  });

  await check('bot page: "Reconnect" connects again', async () => {
    await page.getByTestId('reconnect').click();
    await waitState(page, 'open');
    expect(!(await page.getByTestId('bot-closed').isVisible()), 'the close notice stayed');
  });
  await page.close();
}

async function restartChecks(server, pages) {
  const {port} = server;
  let restarted;
  await check('SIGTERM stops the server with status 0', async () => {
    restartWindow.from = Date.now();
    const problem = await stopServer(server);
    if (problem) throw new Failure(problem);
    for (const name of ['alice', 'carol'])
      await waitState(pages[name], 'joined', {not: true});
  });

  await check(`the server starts again on the same port ${port} at once`, async () => {
    restarted = await startDemo(port);
    expect(restarted.port === port, `it listens on ${restarted.port}`);
  });

  await check('the chat pages reconnect and re-join by themselves', async () => {
    for (const name of ['alice', 'carol']) {
      await waitState(pages[name], 'joined', {timeout: RECONNECT_TIMEOUT_MS});
      await waitMessage(pages[name], `Reconnected as ${name}.`);
    }
    restartWindow.to = Date.now();
    await user(pages.alice, 'carol').waitFor();
    const text = 'Still here after the restart';
    await say(pages.alice, text);
    await waitMessage(pages.carol, text);
  });
  return restarted;
}

async function main() {
  if (!demoPath || !webRoot)
    throw new Failure('usage: node run_demo.mjs RATCHET_DEMO WEB_ROOT [SCREENSHOT.png]');
  const chromium = await loadChromium();

  let server = await startDemo(0);
  log(`server listening on 127.0.0.1:${server.port}`);
  let browser;
  const problems = [];
  try {
    browser = await launchBrowser(chromium);
    const pages = await chatChecks(browser, server.port);
    await botChecks(browser, server.port);
    server = await restartChecks(server, pages);
    if (screenshotPath) {
      mkdirSync(dirname(screenshotPath), {recursive: true});
      await pages.alice.screenshot({path: screenshotPath, timeout: LOAD_TIMEOUT_MS});
      log(`screenshot: ${screenshotPath}`);
    }
    await check('no console errors on the pages', async () => {
      const wsFailure = /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/chat' failed/;
      const unexpected = consoleErrors.filter((e) => !(
        wsFailure.test(e.text) && e.at >= restartWindow.from && e.at <= restartWindow.to));
      expect(unexpected.length === 0,
             unexpected.map((e) => `${e.label}: ${e.text}`).join('; '));
    });
  } catch (e) {
    problems.push(e instanceof Failure ? e.message : e.stack);
  } finally {
    if (browser) {
      const closeProblem = await closeBrowser(browser);
      if (closeProblem) problems.push(closeProblem);
    }
    // After a failed restart there is no server left to stop.
    if (server.child.exitCode === null && server.child.signalCode === null) {
      const stopProblem = await stopServer(server);
      if (stopProblem) problems.push(stopProblem);
    }
  }

  if (problems.length) {
    for (const line of consoleLines) log(line);
    serverOutputs.forEach((output, i) => {
      if (output.length) log(`server output (run ${i + 1}):\n${output.join('').trimEnd()}`);
    });
    throw new Failure(problems.join('; '));
  }
}

await run(main, {passMessage: 'the demo chat, bot, push and reconnect work in Chromium',
                 overallMs: OVERALL_TIMEOUT_MS});
