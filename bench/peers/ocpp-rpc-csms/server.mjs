// A small OCPP 1.6J central system on the npm packages ocpp-rpc (RPCServer,
// strict mode: every message in and out is validated against the official
// OCPP 1.6 JSON schemas) and pg — what a team would write instead of
// ChargeLock. The benchmark (bench/run.sh) runs it on the same load as
// ChargeLock and reports ChargeLock / peer ratios.
//
// What it does, per message:
//   BootNotification    upsert the charge point row, Accepted + interval
//   Heartbeat           update last_seen, answer currentTime
//   StatusNotification  upsert the connector's current status
//   Authorize           Accepted (no id tag table)
//   StartTransaction    insert a transaction, answer its id
//   StopTransaction     close it (and store transactionData samples)
//   MeterValues         insert one row per sampled value (one multi-row INSERT)
// Any identity is accepted, with or without HTTP Basic auth.
// It keeps its tables in its own schema (PEER_SCHEMA, default
// ocpp_rpc_peer) of the same PostgreSQL database, created at start.
//
// Environment:
//   PEER_PORT            port to listen on (default 8190), PEER_HOST (127.0.0.1)
//   DATABASE_URL         libpq URI (default postgresql://chargelock@127.0.0.1:5433/chargelock)
//   PEER_PG_POOL         pg pool size (default 10, pg's own default)
//   PEER_HEARTBEAT_INTERVAL  seconds answered in BootNotification (default 300)
//   PEER_SCHEMA          schema for its tables (default ocpp_rpc_peer)
// Prints "ocpp-rpc-csms: listening on ws://HOST:PORT/ocpp" when ready.
import { RPCServer, createRPCError } from 'ocpp-rpc';
import pg from 'pg';

const port = Number(process.env.PEER_PORT ?? 8190);
const host = process.env.PEER_HOST ?? '127.0.0.1';
const schema = process.env.PEER_SCHEMA ?? 'ocpp_rpc_peer';
const heartbeatInterval = Number(process.env.PEER_HEARTBEAT_INTERVAL ?? 300);
if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`PEER_SCHEMA: bad name ${schema}`);

const pool = new pg.Pool({
  connectionString:
    process.env.DATABASE_URL ?? 'postgresql://chargelock@127.0.0.1:5433/chargelock',
  max: Number(process.env.PEER_PG_POOL ?? 10),
});
pool.on('error', (err) => console.error('ocpp-rpc-csms: pg pool:', err.message));

await pool.query(`
  CREATE SCHEMA IF NOT EXISTS ${schema};
  CREATE TABLE IF NOT EXISTS ${schema}.charge_points (
    id text PRIMARY KEY, vendor text, model text, serial text, firmware text,
    last_boot timestamptz, last_seen timestamptz);
  CREATE TABLE IF NOT EXISTS ${schema}.connectors (
    charge_point_id text NOT NULL, connector_id integer NOT NULL, status text NOT NULL,
    error_code text NOT NULL, status_time timestamptz, updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (charge_point_id, connector_id));
  CREATE TABLE IF NOT EXISTS ${schema}.transactions (
    id serial PRIMARY KEY, charge_point_id text NOT NULL, connector_id integer NOT NULL,
    id_tag text NOT NULL, meter_start integer NOT NULL, started_at timestamptz NOT NULL,
    meter_stop integer, stopped_at timestamptz, stop_reason text);
  CREATE TABLE IF NOT EXISTS ${schema}.meter_values (
    id bigserial PRIMARY KEY, charge_point_id text NOT NULL, connector_id integer NOT NULL,
    transaction_id integer, timestamp timestamptz NOT NULL, value text NOT NULL,
    context text, format text, measurand text, phase text, location text, unit text,
    received_at timestamptz NOT NULL DEFAULT now());
  CREATE INDEX IF NOT EXISTS meter_values_by_connector
    ON ${schema}.meter_values (charge_point_id, connector_id, timestamp);
`);

async function insertMeterValues(identity, connectorId, transactionId, meterValues) {
  const rows = [];
  for (const mv of meterValues ?? []) {
    for (const s of mv.sampledValue) {
      rows.push([identity, connectorId, transactionId ?? null, mv.timestamp, s.value,
        s.context ?? null, s.format ?? null, s.measurand ?? null, s.phase ?? null,
        s.location ?? null, s.unit ?? null]);
    }
  }
  if (rows.length === 0) return;
  const params = [];
  const tuples = rows.map((row) => {
    const first = params.length;
    params.push(...row);
    return `(${row.map((_, i) => `$${first + i + 1}`).join(',')})`;
  });
  await pool.query(
    `INSERT INTO ${schema}.meter_values (charge_point_id, connector_id, transaction_id,
       timestamp, value, context, format, measurand, phase, location, unit)
     VALUES ${tuples.join(',')}`, params);
}

const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });

server.auth((accept, reject, handshake) => {
  // Any identity, with or without Basic auth.
  accept({ identity: handshake.identity });
});

server.on('client', (client) => {
  const id = client.identity;
  const now = () => new Date().toISOString();

  client.handle('BootNotification', async ({ params }) => {
    await pool.query(
      `INSERT INTO ${schema}.charge_points (id, vendor, model, serial, firmware, last_boot, last_seen)
       VALUES ($1, $2, $3, $4, $5, now(), now())
       ON CONFLICT (id) DO UPDATE SET vendor = $2, model = $3, serial = $4, firmware = $5,
         last_boot = now(), last_seen = now()`,
      [id, params.chargePointVendor, params.chargePointModel,
        params.chargePointSerialNumber ?? null, params.firmwareVersion ?? null]);
    return { status: 'Accepted', currentTime: now(), interval: heartbeatInterval };
  });

  client.handle('Heartbeat', async () => {
    await pool.query(`UPDATE ${schema}.charge_points SET last_seen = now() WHERE id = $1`, [id]);
    return { currentTime: now() };
  });

  client.handle('StatusNotification', async ({ params }) => {
    await pool.query(
      `INSERT INTO ${schema}.connectors (charge_point_id, connector_id, status, error_code, status_time)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (charge_point_id, connector_id) DO UPDATE
         SET status = $3, error_code = $4, status_time = $5, updated_at = now()`,
      [id, params.connectorId, params.status, params.errorCode, params.timestamp ?? null]);
    return {};
  });

  client.handle('Authorize', async () => ({ idTagInfo: { status: 'Accepted' } }));

  client.handle('StartTransaction', async ({ params }) => {
    const { rows } = await pool.query(
      `INSERT INTO ${schema}.transactions (charge_point_id, connector_id, id_tag, meter_start, started_at)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [id, params.connectorId, params.idTag, params.meterStart, params.timestamp]);
    return { transactionId: rows[0].id, idTagInfo: { status: 'Accepted' } };
  });

  client.handle('StopTransaction', async ({ params }) => {
    await pool.query(
      `UPDATE ${schema}.transactions SET meter_stop = $2, stopped_at = $3, stop_reason = $4
       WHERE id = $1`,
      [params.transactionId, params.meterStop, params.timestamp, params.reason ?? null]);
    const connector = await pool.query(
      `SELECT connector_id FROM ${schema}.transactions WHERE id = $1`, [params.transactionId]);
    await insertMeterValues(id, connector.rows[0]?.connector_id ?? 0, params.transactionId,
      params.transactionData);
    return { idTagInfo: { status: 'Accepted' } };
  });

  client.handle('MeterValues', async ({ params }) => {
    await insertMeterValues(id, params.connectorId, params.transactionId, params.meterValue);
    return {};
  });

  client.handle('DataTransfer', async () => ({ status: 'UnknownVendorId' }));

  client.handle(({ method }) => {
    throw createRPCError('NotImplemented', `${method} is not handled by this peer`);
  });
});

await server.listen(port, host);
console.log(`ocpp-rpc-csms: listening on ws://${host}:${port}/ocpp`);

const shutdown = async () => {
  await server.close({ force: true, awaitPending: false }).catch(() => {});
  await pool.end().catch(() => {});
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
