// A charge point written by someone else: ocpp-rpc's RPCClient in strict
// mode checks every message it sends and receives against the official
// OCPP 1.6 JSON schemas. It runs one full charging session per security
// profile against a running ChargeLock and exits non-zero on any failure.
//
// Input (environment), set by test/integration/interop_test.cpp:
//   CL_WS_URL, CL_WSS_URL      e.g. ws://127.0.0.1:PORT/ocpp
//   CL_CA                      CA that signed the server certificate
//   CL_PROFILES                JSON: [{"id","profile","password"?,"cert"?,"key"?}]
//   CL_ID_TAG                  an id tag registered as Accepted
import { RPCClient } from 'ocpp-rpc';
import fs from 'node:fs';

const profiles = JSON.parse(process.env.CL_PROFILES);
const ca = fs.readFileSync(process.env.CL_CA);
const idTag = process.env.CL_ID_TAG;

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

async function session({ id, profile, password, cert, key }) {
  const tls = profile >= 2;
  const client = new RPCClient({
    endpoint: tls ? process.env.CL_WSS_URL : process.env.CL_WS_URL,
    identity: id,
    protocols: ['ocpp1.6'],
    strictMode: true,
    password: password ?? null,
    reconnect: false,
    callTimeoutMs: 10000,
    wsOpts: tls ? { ca, cert: cert && fs.readFileSync(cert), key: key && fs.readFileSync(key) } : {},
  });
  client.handle(({ method }) => {
    throw new Error(`unexpected call from the central system: ${method}`);
  });
  await client.connect();
  const now = () => new Date().toISOString();

  const boot = await client.call('BootNotification', {
    chargePointVendor: 'Interop', chargePointModel: 'ocpp-rpc', firmwareVersion: '1.0',
  });
  check(boot.status === 'Accepted', `${id} boot accepted (got ${boot.status})`);
  check(boot.interval > 0, 'heartbeat interval');
  const beat = await client.call('Heartbeat', {});
  check(!Number.isNaN(Date.parse(beat.currentTime)), 'heartbeat time');
  await client.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' });
  await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
  const auth = await client.call('Authorize', { idTag });
  check(auth.idTagInfo.status === 'Accepted', `authorize (got ${auth.idTagInfo.status})`);
  const unknown = await client.call('Authorize', { idTag: 'NOT-A-TAG' });
  check(unknown.idTagInfo.status === 'Invalid', 'unknown tag is Invalid');
  const start = await client.call('StartTransaction', {
    connectorId: 1, idTag, meterStart: 1000, timestamp: now(),
  });
  check(Number.isInteger(start.transactionId) && start.transactionId > 0, 'transaction id');
  check(start.idTagInfo.status === 'Accepted', 'start accepted');
  await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });
  await client.call('MeterValues', {
    connectorId: 1,
    transactionId: start.transactionId,
    meterValue: [{
      timestamp: now(),
      sampledValue: [
        { value: '1500', measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
        { value: '7200', measurand: 'Power.Active.Import', unit: 'W' },
        { value: '31.2', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
        { value: '64', measurand: 'SoC', unit: 'Percent', location: 'EV' },
      ],
    }],
  });
  const stop = await client.call('StopTransaction', {
    transactionId: start.transactionId, idTag, meterStop: 2500, timestamp: now(), reason: 'Local',
    transactionData: [{ timestamp: now(), sampledValue: [{ value: '2500', unit: 'Wh' }] }],
  });
  check(!stop.idTagInfo || stop.idTagInfo.status, 'stop answered');
  await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
  const dt = await client.call('DataTransfer', { vendorId: 'com.example.unknown', messageId: 'x' });
  check(dt.status === 'UnknownVendorId', `unknown vendor (got ${dt.status})`);
  await client.close();
  console.log(`interop: ${id} (profile ${profile}) ok, transaction ${start.transactionId}`);
  return start.transactionId;
}

let failed = 0;
for (const p of profiles) {
  try {
    await session(p);
  } catch (error) {
    failed += 1;
    console.error(`interop: ${p.id} (profile ${p.profile}) FAILED: ${error.stack ?? error}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
