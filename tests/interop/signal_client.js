// Drives a PeerJS-protocol signaling server over real WebSockets (npm `ws`).
//
//   node signal_client.js protocol HOST:PORT EXPIRE_MS ALIVE_MS
//       the PeerJS protocol; prints a transcript (one line per message a
//       client received, and closes) to stdout, the same for any correct
//       server: weft signal and the reference `peer` are compared on it.
//   node signal_client.js extensions HOST:PORT
//       weft's additions: ERROR for bad JSON, unknown types, oversized.
//   node signal_client.js hostile HOST:PORT N
//       N connections at once, junk frames, oversized frames, raw junk;
//       then a fresh pair must still signal.
// Exit 0 when every check passed; failures on stderr.
"use strict";
const WebSocket = require("ws");
const http = require("http");
const net = require("net");

const [mode, hostport, a1, a2] = process.argv.slice(2);
const [host, port] = [hostport.replace(/:\d+$/, ""), +hostport.split(":").pop()];
const base = `ws://${hostport}/peerjs`;
let failures = 0;
const transcript = [];
const fail = (m) => { failures++; console.error("FAIL: " + m); };
const check = (c, m) => { if (!c) fail(m); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let ending = false; // the closes at the end come in any order: not logged
const log = (who, what) => { if (!ending) transcript.push(`${who} ${what}`); };

// A client: its received messages in order, a close promise.
function client(name, query, opts = {}) {
  const ws = new WebSocket(`${base}?${query}`, opts);
  const c = { ws, name, msgs: [], closed: false, waiters: [] };
  ws.on("message", (d) => {
    const t = d.toString();
    c.msgs.push(t);
    if (!opts.quiet) log(name, t);
    c.waiters.splice(0).forEach((w) => w());
  });
  ws.on("close", () => {
    c.closed = true;
    if (!opts.quiet) log(name, "closed");
    c.waiters.splice(0).forEach((w) => w());
  });
  ws.on("error", () => {});
  // HEARTBEAT as the peerjs client does (faster), unless told to be silent
  if (!opts.silent) {
    const hb = setInterval(() => {
      if (ws.readyState === 1) ws.send('{"type":"HEARTBEAT"}');
    }, 400);
    ws.on("close", () => clearInterval(hb));
  }
  c.next = async (ms = 3000) => {
    const end = Date.now() + ms;
    while (c.msgs.length === 0 && !c.closed && Date.now() < end)
      await new Promise((r) => { c.waiters.push(r); setTimeout(r, end - Date.now()); });
    return c.msgs.shift();
  };
  c.waitClose = async (ms = 3000) => {
    const end = Date.now() + ms;
    while (!c.closed && Date.now() < end)
      await new Promise((r) => { c.waiters.push(r); setTimeout(r, end - Date.now()); });
    return c.closed;
  };
  c.send = (o) => ws.send(typeof o === "string" ? o : JSON.stringify(o));
  c.open = () => new Promise((r) => {
    if (ws.readyState === 1) return r(true);
    ws.once("open", () => r(true));
    ws.once("close", () => r(false));
    ws.once("error", () => r(false));
  });
  return c;
}

function get(path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("error", reject);
  });
}

async function protocol(expireMs, aliveMs) {
  const r = await get("/peerjs/id?ts=1&version=1.5.5", { Origin: "http://example.test" });
  check(r.status === 200, `GET /peerjs/id status ${r.status}`);
  check(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(r.body),
    `id is a UUID v4: ${r.body}`);
  check(r.headers["access-control-allow-origin"] === "http://example.test", "CORS origin echoed");
  log("http", `id ${r.status} cors=${r.headers["access-control-allow-origin"]}`);

  const A = client("A", "key=peerjs&id=a&token=ta&version=1.5.5");
  check((await A.next()) === '{"type":"OPEN"}', "A gets OPEN");
  const T = client("T", "key=peerjs&id=a&token=other");
  check((await T.next()) === '{"type":"ID-TAKEN","payload":{"msg":"ID is taken"}}', "ID-TAKEN");
  check(await T.waitClose(), "ID-TAKEN closes");
  const K = client("K", "key=wrong&id=k&token=tk");
  check((await K.next()) === '{"type":"ERROR","payload":{"msg":"Invalid key provided"}}', "bad key");
  check(await K.waitClose(), "bad key closes");
  const M = client("M", "key=peerjs&id=m");
  check((await M.next()) ===
    '{"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}}',
    "missing token");
  check(await M.waitClose(), "missing token closes");

  const B = client("B", "key=peerjs&id=b&token=tb");
  await B.next();
  A.send({ type: "OFFER", payload: { sdp: { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n" },
    type: "data", connectionId: "dc_1", label: "x", reliable: true, serialization: "binary",
    metadata: { n: [1, 2.5, -3, true, null, "é\u2028"] } }, dst: "b", extra: 5, src: "forged" });
  check((await B.next()) === '{"type":"OFFER","src":"a","dst":"b","payload":{"sdp":{"type":"offer","sdp":"v=0\\r\\no=- 1 2 IN IP4 0.0.0.0\\r\\n"},"type":"data","connectionId":"dc_1","label":"x","reliable":true,"serialization":"binary","metadata":{"n":[1,2.5,-3,true,null,"é\u2028"]}}}',
    "forwarded OFFER with src");
  B.send({ type: "ANSWER", payload: { sdp: "x" }, dst: "a" });
  check((await A.next()) === '{"type":"ANSWER","src":"b","dst":"a","payload":{"sdp":"x"}}', "ANSWER");
  B.send({ type: "CANDIDATE", payload: { candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host" } }, dst: "a" });
  await A.next();
  A.send({ type: "HEARTBEAT" });

  // held for an absent peer, delivered when it connects
  A.send({ type: "OFFER", payload: { n: 1 }, dst: "c" });
  A.send({ type: "CANDIDATE", payload: { n: 2 }, dst: "c" });
  A.send({ type: "LEAVE", dst: "nobody" }); // dropped
  await sleep(200);
  const C = client("C", "key=peerjs&id=c&token=tc");
  check((await C.next()) === '{"type":"OPEN"}', "C OPEN");
  check((await C.next()) === '{"type":"OFFER","src":"a","dst":"c","payload":{"n":1}}', "held OFFER");
  check((await C.next()) === '{"type":"CANDIDATE","src":"a","dst":"c","payload":{"n":2}}', "held CANDIDATE");

  // EXPIRE back to the sender (once per sender)
  A.send({ type: "OFFER", payload: {}, dst: "d" });
  A.send({ type: "CANDIDATE", payload: {}, dst: "d" });
  B.send({ type: "OFFER", payload: {}, dst: "d" });
  check((await A.next(expireMs + 2500)) === '{"type":"EXPIRE","src":"d","dst":"a"}', "EXPIRE to A");
  check((await B.next(2000)) === '{"type":"EXPIRE","src":"d","dst":"b"}', "EXPIRE to B");
  await sleep(300);
  check(A.msgs.length === 0, `one EXPIRE per sender: ${A.msgs}`);

  // LEAVE to a connected peer is forwarded
  A.send({ type: "LEAVE", dst: "b" });
  check((await B.next()) === '{"type":"LEAVE","src":"a","dst":"b"}', "LEAVE forwarded");

  // no HEARTBEAT: closed after the alive timeout
  const E = client("E", "key=peerjs&id=e&token=te", { silent: true });
  await E.next();
  const t0 = Date.now();
  check(await E.waitClose(aliveMs + 3000), "silent client closed");
  const took = Date.now() - t0;
  check(took >= aliveMs - 200, `closed after the alive timeout (${took} ms)`);
  check(!A.closed && !B.closed && !C.closed, "clients with heartbeats stay");
  // its id is free again
  const E2 = client("E2", "key=peerjs&id=e&token=other");
  check((await E2.next()) === '{"type":"OPEN"}', "id free after timeout");
  ending = true;
  for (const x of [A, B, C, E2]) x.ws.close();
  await sleep(200);
}

async function extensions() {
  const A = client("A", "key=peerjs&id=xa&token=t");
  await A.next();
  const B = client("B", "key=peerjs&id=xb&token=t");
  await B.next();
  A.send('{"type":"OFFER","dst":"xb"');
  check((await A.next()) === '{"type":"ERROR","payload":{"msg":"Invalid message: not JSON"}}', "bad JSON ERROR");
  A.send({ type: "NOPE", dst: "xb" });
  check((await A.next()) === '{"type":"ERROR","payload":{"msg":"Invalid message: unknown type"}}', "unknown type ERROR");
  A.send({ type: "OFFER", dst: "xb", payload: "x".repeat(70000) });
  check((await A.next()) === '{"type":"ERROR","payload":{"msg":"Message too large"}}', "oversized ERROR");
  await sleep(100);
  check(B.msgs.length === 0, "nothing reached B");
  A.send({ type: "OFFER", dst: "xb", payload: "ok" });
  check((await B.next()) === '{"type":"OFFER","src":"xa","dst":"xb","payload":"ok"}', "A still works");
  const r = await get("/nothing-here");
  check(r.status === 404, "404 for a missing file");
  A.ws.close(); B.ws.close();
  await sleep(100);
}

async function hostile(n) {
  // n connections at once
  const cs = [];
  for (let i = 0; i < n; i++)
    cs.push(client(`h${i}`, `key=peerjs&id=h${i}&token=t`, { quiet: true, silent: true }));
  let opened = 0;
  for (const c of cs) if ((await c.next(20000)) === '{"type":"OPEN"}') opened++;
  check(opened === n, `${opened}/${n} connections opened`);
  // junk: binary garbage, huge frame, invalid UTF-8, raw non-HTTP bytes
  cs[0].ws.send(Buffer.from([0xff, 0x00, 0x13, 0x37]));
  cs[1].ws.send(Buffer.alloc(1 << 20, 0x41));
  for (let i = 0; i < 200; i++) cs[2].send("{junk" + i);
  const raw = net.connect(port, host, () => raw.write(Buffer.alloc(65536, 0x00)));
  raw.on("error", () => {});
  const raw2 = net.connect(port, host, () =>
    raw2.write("GET /peerjs?key=peerjs&id=raw&token=t HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
      "\x81\xfe\xff\xff\x00\x00\x00\x00garbage"));
  raw2.on("error", () => {});
  await sleep(1000);
  // every other peer still signals
  cs[n - 1].send({ type: "OFFER", dst: `h${n - 2}`, payload: 1 });
  check((await cs[n - 2].next(5000)) === `{"type":"OFFER","src":"h${n - 1}","dst":"h${n - 2}","payload":1}`,
    "signaling works after the junk");
  check(cs[2].closed, "the junk sender was closed after too many errors");
  raw.destroy(); raw2.destroy();
  for (const c of cs) c.ws.terminate();
  await sleep(300);
  const X = client("X", "key=peerjs&id=x&token=t");
  check((await X.next()) === '{"type":"OPEN"}', "server alive after the storm");
  X.ws.close();
}

(async () => {
  const deadline = setTimeout(() => { fail("timeout"); process.exit(1); }, 120000);
  if (mode === "protocol") await protocol(+a1, +a2);
  else if (mode === "extensions") await extensions();
  else if (mode === "hostile") await hostile(+a1);
  else fail(`unknown mode ${mode}`);
  clearTimeout(deadline);
  if (mode === "protocol") console.log(transcript.join("\n"));
  console.error(failures === 0 ? `${mode}: all checks passed` : `${mode}: ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
})();
