// The bot page: sends text commands to /bot and shows the transcript. Unlike the chat it
// does not reconnect by itself: the bot closes the connection on "bye" on purpose, so the
// page says so (with the close code) and offers a button instead.
'use strict';

(() => {
  // The commands of apps/demo/README.md, one button each.
  const COMMANDS = ['hello', 'hi', 'name', 'age', 'date', 'time', 'id', 'users', 'temp',
                    'thanks', 'bye'];
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/bot`;

  const $ = (id) => document.getElementById(id);
  const state = document.querySelector('[data-testid="state"]');
  const transcript = $('transcript');
  const closed = $('closed');
  const ask = $('ask');
  const input = $('command');
  let ws = null;

  function setState(name, text) {
    state.dataset.state = name;
    state.textContent = text;
  }

  function setOpen(open) {
    for (const el of ask.elements) el.disabled = !open;
    for (const el of $('commands').children) el.disabled = !open;
  }

  /** A transcript line; the text is shown with textContent, never as HTML. */
  function line(who, text) {
    const li = document.createElement('li');
    li.className = `msg ${who}`;
    li.dataset.testid = 'line';
    li.dataset.who = who;
    const label = document.createElement('span');
    label.className = 'who';
    label.textContent = who === 'you' ? 'you' : who === 'bot' ? 'bot' : '';
    const body = document.createElement('span');
    body.className = 'body';
    body.textContent = text;
    li.append(label, body);
    transcript.append(li);
    transcript.scrollTop = transcript.scrollHeight;
  }

  function connect() {
    closed.hidden = true;
    setState('connecting', 'connecting…');
    let opened = false;
    ws = new WebSocket(url);
    ws.onopen = () => {
      opened = true;
      setState('open', 'connected');
      setOpen(true);
      input.focus();
    };
    ws.onmessage = (e) => line('bot', typeof e.data === 'string' ? e.data : '(binary message)');
    ws.onclose = (e) => {
      ws = null;
      setOpen(false);
      setState('closed', 'closed');
      const why = e.reason ? `, "${e.reason}"` : '';
      const text = opened ? `The bot closed the connection (code ${e.code}${why}).`
                          : `Could not connect to the bot (code ${e.code}).`;
      $('closed-text').textContent = text;
      closed.dataset.code = String(e.code);
      closed.hidden = false;
      line('info', text);
      $('reconnect').focus();
    };
  }

  function command(text) {
    if (!ws || ws.readyState !== WebSocket.OPEN || !text.trim()) return;
    line('you', text);
    ws.send(text);
  }

  for (const name of COMMANDS) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = name;
    button.dataset.testid = `cmd-${name}`;
    button.onclick = () => command(name);
    $('commands').append(button);
  }

  ask.addEventListener('submit', (e) => {
    e.preventDefault();
    command(input.value);
    input.value = '';
  });
  $('reconnect').onclick = connect;

  setOpen(false);
  connect();
})();
