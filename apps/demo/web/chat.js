// The chat page: joins /chat with a name, shows the room and keeps the connection alive
// across server restarts. The protocol is in apps/demo/README.md.
//
// Everything that came from the network is displayed with textContent, never as HTML, so
// a message like <img src=x onerror=alert(1)> shows up as those characters.
'use strict';

(() => {
  const RETRY_MIN_MS = 500;
  const RETRY_MAX_MS = 10_000;
  const COLOR = /^#(?:[0-9a-f]{3}){1,2}$/i;
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/chat`;

  const $ = (id) => document.getElementById(id);
  const ui = {
    state: document.querySelector('[data-testid="state"]'),
    join: $('join'), joinName: $('join-name'), joinColor: $('join-color'), joinError: $('join-error'),
    room: $('room'), messages: $('messages'), users: $('users'), userCount: $('user-count'),
    say: $('say'), to: $('to'), text: $('text'),
  };

  let ws = null;
  let retryMs = RETRY_MIN_MS;
  // The join request in effect: sent on every (re)connect until the server rejects it, so a
  // restarted server gets us back under the same name without the user doing anything.
  let wantJoin = null;
  let joined = false;   // the server confirmed the join on the current connection
  let me = '';          // our name as the server spelled it
  let colorChosen = false;  // the picker was touched; otherwise the server picks a colour

  function setState(state, text) {
    ui.state.dataset.state = state;
    ui.state.textContent = text;
  }

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }

  function connect() {
    setState('connecting', 'connecting…');
    ws = new WebSocket(url);
    ws.onopen = () => {
      // Reset the back-off only once a connection worked, so a server that is down is
      // asked ever less often, but a short blip is followed by a quick retry next time.
      retryMs = RETRY_MIN_MS;
      setState('open', 'connected');
      if (wantJoin) send(wantJoin);
    };
    ws.onmessage = (e) => receive(e.data);
    ws.onclose = () => {
      ws = null;
      if (joined) note('system', 'Connection lost; reconnecting…');
      setJoined(false);
      showUsers([]);
      // Exponential back-off with jitter, so that many pages do not all reconnect to a
      // restarted server in the same instant.
      const delay = retryMs / 2 + Math.random() * retryMs / 2;
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      setState('closed', `offline · retrying in ${(delay / 1000).toFixed(1)} s`);
      setTimeout(connect, delay);
    };
  }

  function receive(data) {
    let msg = null;
    try { msg = JSON.parse(data); } catch { /* not JSON: a pushed plain string */ }
    if (msg === null || typeof msg !== 'object') return note('system', String(data));
    switch (msg.type) {
      case 'joined': {
        const again = me !== '' && me === String(msg.name);
        me = String(msg.name);
        // Re-join with the colour the server gave us, so it stays the same.
        wantJoin = {type: 'join', name: me};
        if (COLOR.test(msg.color ?? '')) wantJoin.color = msg.color;
        setJoined(true);
        note('system', again ? `Reconnected as ${me}.` : `You joined as ${me}.`);
        ui.text.focus();
        return;
      }
      case 'users': return showUsers(Array.isArray(msg.users) ? msg.users.map(String) : []);
      case 'usermsg': return showMessage(msg);
      case 'error': return showError(String(msg.message ?? 'error'));
      default:
        // "system", and whatever else was pushed: show its text if it has one.
        if (msg.message !== undefined) note('system', String(msg.message));
    }
  }

  function setJoined(yes) {
    joined = yes;
    for (const el of ui.say.elements) el.disabled = !yes;
    if (yes) {
      setState('joined', `online as ${me}`);
      document.title = `${me} · ratchet chat`;
      ui.room.hidden = false;
    }
    // The form stays hidden while we are joined or re-joining after a reconnect, and is
    // back when the server rejected the name (also when it rejects a re-join).
    ui.join.hidden = joined || (me !== '' && wantJoin !== null);
  }

  function showError(text) {
    if (joined) return note('error', text);
    // Not joined: the error answers our join (a bad or taken name).
    wantJoin = null;
    ui.joinError.textContent = text;
    ui.joinError.hidden = false;
    setJoined(false);
    ui.joinName.focus();
  }

  /** Appends a line to the message list, scrolling along if the list was at its end. */
  function addLine(kind, build) {
    const list = ui.messages;
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const li = document.createElement('li');
    li.className = `msg ${kind}`;
    li.dataset.testid = 'message';
    li.dataset.kind = kind;
    build(li);
    list.append(li);
    if (atEnd) list.scrollTop = list.scrollHeight;
    return li;
  }

  function span(className, text) {
    const el = document.createElement('span');
    el.className = className;
    el.textContent = text;
    return el;
  }

  function clock(date) {
    return date.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'});
  }

  /** A system line ("bob joined", a push) or an error. */
  function note(kind, text) {
    return addLine(kind, (li) => {
      li.append(span('meta', clock(new Date())), span('body', text));
    });
  }

  function showMessage(msg) {
    const isPrivate = msg.private === true;
    const from = String(msg.name ?? '?');
    const li = addLine(isPrivate ? 'private' : 'public', (li) => {
      const when = new Date(msg.time);
      const meta = span('meta', clock(isNaN(when) ? new Date() : when));
      const who = span('who', from);
      if (COLOR.test(msg.color ?? '')) who.style.color = msg.color;
      li.append(meta, who);
      if (isPrivate) {
        const mine = from === me;
        li.append(span('tag', mine ? `private to ${msg.toname}` : `private from ${from}`));
      }
      li.append(span('body', String(msg.message ?? '')));
    });
    li.dataset.from = from;
  }

  function showUsers(names) {
    ui.users.replaceChildren(...names.map((name) => {
      const li = document.createElement('li');
      li.dataset.name = name;
      li.textContent = name;
      if (name === me) {
        li.className = 'me';
        li.title = 'you';
      } else {
        // A click on someone makes the next message private to them.
        li.tabIndex = 0;
        li.title = `message ${name} privately`;
        li.onclick = () => { ui.to.value = name; ui.text.focus(); };
        li.onkeydown = (e) => { if (e.key === 'Enter') li.onclick(); };
      }
      return li;
    }));
    ui.userCount.textContent = names.length ? `(${names.length})` : '';

    // The "to" choices: everyone, or one of the others; keep the choice if they are still here.
    const chosen = ui.to.value;
    const everyone = new Option('everyone', '');
    const others = names.filter((n) => n !== me).map((n) => new Option(n, n));
    ui.to.replaceChildren(everyone, ...others);
    ui.to.value = others.some((o) => o.value === chosen) ? chosen : '';
  }

  ui.joinColor.addEventListener('input', () => { colorChosen = true; });

  ui.join.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = ui.joinName.value.trim();
    if (!name) return;
    ui.joinError.hidden = true;
    wantJoin = {type: 'join', name};
    if (colorChosen) wantJoin.color = ui.joinColor.value;
    send(wantJoin);  // or, if we are not connected, as soon as we are (onopen)
  });

  ui.say.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = ui.text.value;
    if (!joined || !text.trim()) return;
    const msg = {message: text};
    if (ui.to.value) msg.toname = ui.to.value;
    send(msg);
    ui.text.value = '';
  });

  setJoined(false);
  connect();
})();
