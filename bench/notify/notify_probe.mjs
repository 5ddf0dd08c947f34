// notify_probe: measures issue 14's "a pile's VehicleLocked -> the owner's
// SSE event and webhook POST" from outside ChargeLock (bench/run.sh,
// scenario "notify"). One process holds both ends, so one clock times both:
//
//   - K probe piles (OCPP 1.6J over ws, HTTP Basic auth) boot and answer
//     every CALL Accepted, LockVehicle included;
//   - the owner's notification stream (GET /notifications/stream, SSE);
//   - the owner's webhook receiver (an HTTP server on 127.0.0.1).
//
// Once every probe pile has the lock (its LockVehicle arrived) and the
// go-file exists (bench/run.sh creates it when pilesim's flood begins), the
// piles send VehicleLocked one after the other, --interval-ms apart; the
// latency of each report is from its send until the notification naming
// that pile arrives on the stream, and on the webhook. The first report
// engages the lock (vehicle_caught), the others are sightings at other
// piles (vehicle_sighted): one notification each, both ways.
//
// Prints one JSON object on stdout; progress on stderr.
import http from 'node:http';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../peers/ocpp-rpc-csms/package.json', import.meta.url));
const WebSocket = require('ws');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => {
    if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
    return pairs;
  }, []));
const need = (k) => {
  if (args[k] === undefined) { console.error(`notify_probe: --${k} missing`); process.exit(2); }
  return args[k];
};
const ocppUrl = need('ocpp');            // ws://127.0.0.1:PORT/ocpp
const apiUrl = need('api');              // http://127.0.0.1:PORT/api/v1
const token = need('token');             // the owner's bearer token
const lockId = need('lock');
const idTag = need('id-tag');            // one of the locked vehicle's id tags
const count = Number(args.count ?? 20);
const idPattern = args['id-pattern'] ?? 'NOTIFY-{n}';
const passwordPattern = args['password-pattern'] ?? 'notify-pile-secret-{n}';
const webhookPort = Number(need('webhook-port'));
const goFile = args['go-file'];
const intervalMs = Number(args['interval-ms'] ?? 200);
const timeoutS = Number(args['timeout'] ?? 120);

const log = (m) => console.error(`notify_probe: ${m}`);
const fill = (p, n) => p.replaceAll('{n}', String(n));
const piles = Array.from({ length: count }, (_, i) => ({
  id: fill(idPattern, i + 1), password: fill(passwordPattern, i + 1),
  ws: null, booted: false, armed: false, sentAt: null, answeredAt: null, status: null,
  sseAt: null, webhookAt: null,
}));
const byId = new Map(piles.map((p) => [p.id, p]));

// The pile a notification is about: its body's chargePointId.
function noteArrival(text, field) {
  let n;
  try { n = JSON.parse(text); } catch { return; }
  if (n.kind !== 'vehicle_caught' && n.kind !== 'vehicle_sighted') return;
  const pile = byId.get(n.body?.chargePointId);
  if (pile && pile.sentAt !== null && pile[field] === null) pile[field] = performance.now();
}

// ------------------------------------------------------------ webhook
const hook = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    noteArrival(Buffer.concat(chunks).toString(), 'webhookAt');
    res.writeHead(204); res.end();
  });
});
await new Promise((ok, fail) => hook.listen(webhookPort, '127.0.0.1', ok).on('error', fail));

// ------------------------------------------------------------ SSE
let sseOpen = false;
const sse = http.get(`${apiUrl}/notifications/stream?heartbeat=5`,
  { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) { log(`stream answered ${res.statusCode}`); process.exit(1); }
    sseOpen = true;
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart()).join('\n');
        if (data) noteArrival(data, 'sseAt');
      }
    });
  });
sse.on('error', (e) => { log(`stream: ${e.message}`); });

// ------------------------------------------------------------ piles
let nextId = 1;
function call(pile, action, payload) {
  const id = `p${nextId++}`;
  pile.ws.send(JSON.stringify([2, id, action, payload]));
  return id;
}
const pending = new Map();  // message id -> [pile, what]
function connect(pile) {
  const auth = Buffer.from(`${pile.id}:${pile.password}`).toString('base64');
  pile.ws = new WebSocket(`${ocppUrl}/${pile.id}`, 'ocpp1.6', { headers: { Authorization: `Basic ${auth}` } });
  pile.ws.on('open', () => {
    pending.set(call(pile, 'BootNotification',
      { chargePointVendor: 'ChargeLock', chargePointModel: 'notify-probe' }), [pile, 'boot']);
  });
  pile.ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString());
    if (frame[0] === 2) {
      const [, id, action, payload] = frame;
      if (action === 'DataTransfer' && payload.messageId === 'LockVehicle') {
        try { if (JSON.parse(payload.data).lockId === lockId) pile.armed = true; } catch { /* not ours */ }
      }
      pile.ws.send(JSON.stringify([3, id, { status: 'Accepted' }]));
    } else if (frame[0] === 3 || frame[0] === 4) {
      const what = pending.get(frame[1]);
      if (!what) return;
      pending.delete(frame[1]);
      const [p, kind] = what;
      if (kind === 'boot') {
        p.booted = frame[0] === 3 && frame[2].status === 'Accepted';
        if (p.booted) call(p, 'StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
      } else if (kind === 'report') {
        p.answeredAt = performance.now();
        p.status = frame[0] === 3 ? frame[2].status : `CALLERROR ${frame[2]}`;
      }
    }
  });
  pile.ws.on('error', (e) => log(`${pile.id}: ${e.message}`));
  pile.ws.on('close', (code) => { if (!done) log(`${pile.id}: closed (${code})`); });
}

let done = false;
const started = performance.now();
const deadline = started + timeoutS * 1000;
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
piles.forEach(connect);
while (performance.now() < deadline && !(sseOpen && piles.every((p) => p.booted && p.armed))) await sleep(20);
const armed = piles.filter((p) => p.armed).length;
log(`${armed}/${count} probe piles armed, stream ${sseOpen ? 'open' : 'NOT open'}; waiting for the go-file`);
if (goFile) while (performance.now() < deadline && !fs.existsSync(goFile)) await sleep(20);

for (const pile of piles.filter((p) => p.armed)) {
  const data = JSON.stringify({ lockId, connectorId: 1, idTag });
  pile.sentAt = performance.now();
  pending.set(call(pile, 'DataTransfer', { vendorId: 'org.chargelock', messageId: 'VehicleLocked', data }),
    [pile, 'report']);
  await sleep(intervalMs);
}
const waitUntil = performance.now() + 30000;
const sent = piles.filter((p) => p.sentAt !== null);
// The pile's own answer too: a report is Accepted only once its CALLRESULT
// arrives, which may be after the notifications (it leaves after the commit).
while (performance.now() < waitUntil &&
       !sent.every((p) => p.sseAt !== null && p.webhookAt !== null && p.answeredAt !== null)) {
  await sleep(20);
}
done = true;

function summary(field) {
  const ms = sent.filter((p) => p[field] !== null).map((p) => p[field] - p.sentAt).sort((a, b) => a - b);
  const q = (f) => ms.length ? Math.round(ms[Math.min(ms.length - 1, Math.ceil(f * ms.length) - 1)] * 10) / 10 : null;
  return { received: ms.length, p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99), maxMs: q(1) };
}
const result = {
  probePiles: count, armed, sent: sent.length,
  accepted: sent.filter((p) => p.status === 'Accepted').length,
  unanswered: sent.filter((p) => p.answeredAt === null).length,
  refused: sent.filter((p) => p.status !== null && p.status !== 'Accepted').map((p) => `${p.id}: ${p.status}`),
  answer: summary('answeredAt'), sse: summary('sseAt'), webhook: summary('webhookAt'),
};
console.log(JSON.stringify(result));
for (const p of piles) p.ws?.terminate();
sse.destroy();
hook.close();
process.exit(0);
