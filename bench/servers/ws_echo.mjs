// Node `ws` reference server, written as ws's README examples are:
//   node ws_echo.mjs [--port N] [--mode echo|broadcast] [--deflate | --deflate-takeover]
// echo: every message goes back to its sender; broadcast: to every other open client.
// --deflate: permessage-deflate as ratchet's defaults are (ratchet::Compression): zlib level
// 6, messages under 64 bytes sent plain, server_ and client_no_context_takeover;
// --deflate-takeover: the
// same with the server's context kept (ratchet's serverContextTakeover). Off by default.
// Prints "listening on 127.0.0.1:PORT" once bound (port 0 picks a free one).
import { WebSocketServer, WebSocket } from 'ws';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const port = Number(opt('--port', '0'));
const mode = opt('--mode', 'echo');
const takeover = args.includes('--deflate-takeover');
const deflate = takeover || args.includes('--deflate');
if (mode !== 'echo' && mode !== 'broadcast') {
  console.error('usage: ws_echo.mjs [--port N] [--mode echo|broadcast] [--deflate | --deflate-takeover]');
  process.exit(2);
}

const perMessageDeflate = deflate && {
  zlibDeflateOptions: { level: 6 },
  threshold: 64,
  serverNoContextTakeover: !takeover,
  clientNoContextTakeover: true,
};
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate, backlog: 4096 });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (mode === 'echo') {
      ws.send(data, { binary: isBinary });
      return;
    }
    for (const client of wss.clients)
      if (client !== ws && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
  });
});
wss.on('listening', () => console.log(`listening on 127.0.0.1:${wss.address().port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
