-- ChargeLock initial schema: charge points, connectors, id tags,
-- transactions, meter values, the message log and the notification records.
-- Timestamps are timestamptz (UTC on the wire); the application converts
-- through micros_to_ts / ts_to_micros.

CREATE FUNCTION micros_to_ts(bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT timestamptz 'epoch' + $1 * interval '1 microsecond' $$;

CREATE FUNCTION ts_to_micros(timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$;

CREATE TABLE charge_points (
  id                        text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 48),
  password_hash             text,
  security_profile          smallint NOT NULL DEFAULT 1 CHECK (security_profile IN (1, 2, 3)),
  registration_status       text NOT NULL DEFAULT 'Accepted'
                              CHECK (registration_status IN ('Accepted', 'Pending', 'Rejected')),
  latitude                  double precision CHECK (latitude BETWEEN -90 AND 90),
  longitude                 double precision CHECK (longitude BETWEEN -180 AND 180),
  vendor                    text,
  model                     text,
  charge_point_serial       text,
  charge_box_serial         text,
  firmware_version          text,
  iccid                     text,
  imsi                      text,
  meter_type                text,
  meter_serial              text,
  last_boot_at              timestamptz,
  online                    boolean NOT NULL DEFAULT false,
  last_seen                 timestamptz,
  connected_node            text,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  CHECK ((latitude IS NULL) = (longitude IS NULL))
);

CREATE TABLE connectors (
  charge_point_id   text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
  connector_id      integer NOT NULL CHECK (connector_id >= 0),
  status            text NOT NULL,
  error_code        text NOT NULL,
  info              text,
  vendor_id         text,
  vendor_error_code text,
  status_timestamp  timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (charge_point_id, connector_id)
);

CREATE TABLE connector_status_history (
  id                bigserial PRIMARY KEY,
  charge_point_id   text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
  connector_id      integer NOT NULL,
  status            text NOT NULL,
  error_code        text NOT NULL,
  info              text,
  vendor_id         text,
  vendor_error_code text,
  status_timestamp  timestamptz,
  received_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connector_status_history_by_connector
  ON connector_status_history (charge_point_id, connector_id, id);

CREATE TABLE id_tags (
  id_tag        text PRIMARY KEY CHECK (length(id_tag) BETWEEN 1 AND 20),
  status        text NOT NULL DEFAULT 'Accepted'
                  CHECK (status IN ('Accepted', 'Blocked', 'Expired', 'Invalid')),
  expiry_date   timestamptz,
  parent_id_tag text CHECK (length(parent_id_tag) BETWEEN 1 AND 20),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- OCPP transaction ids are 32-bit integers.
CREATE SEQUENCE transactions_id_seq AS integer START 1;

CREATE TABLE transactions (
  id               integer PRIMARY KEY DEFAULT nextval('transactions_id_seq'),
  charge_point_id  text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
  connector_id     integer NOT NULL,
  id_tag           text NOT NULL,
  meter_start      integer NOT NULL,
  start_timestamp  timestamptz NOT NULL,
  reservation_id   integer,
  meter_stop       integer,
  stop_timestamp   timestamptz,
  stop_reason      text,
  stop_id_tag      text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- A StartTransaction repeated by the pile maps onto the same row.
  CONSTRAINT transactions_start_unique
    UNIQUE (charge_point_id, connector_id, id_tag, start_timestamp, meter_start)
);
ALTER SEQUENCE transactions_id_seq OWNED BY transactions.id;
CREATE INDEX transactions_open_by_id_tag ON transactions (id_tag) WHERE stop_timestamp IS NULL;
CREATE INDEX transactions_by_charge_point ON transactions (charge_point_id, id);

-- One row per sampled value. transaction_id is deliberately not a foreign
-- key: piles report values for transactions the central system may not know.
CREATE TABLE meter_values (
  id               bigserial PRIMARY KEY,
  charge_point_id  text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
  connector_id     integer NOT NULL,
  transaction_id   integer,
  timestamp        timestamptz NOT NULL,
  value            text NOT NULL,
  context          text,
  format           text,
  measurand        text,
  phase            text,
  location         text,
  unit             text,
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meter_values_by_transaction ON meter_values (transaction_id, timestamp)
  WHERE transaction_id IS NOT NULL;
CREATE INDEX meter_values_by_connector ON meter_values (charge_point_id, connector_id, timestamp);

-- Every frame in and out; not a foreign key so frames of refused or
-- auto-registering piles are kept too.
CREATE TABLE message_log (
  id               bigserial PRIMARY KEY,
  charge_point_id  text NOT NULL,
  direction        text NOT NULL CHECK (direction IN ('in', 'out')),
  frame            text NOT NULL,
  received_at      timestamptz NOT NULL
);
CREATE INDEX message_log_by_charge_point ON message_log (charge_point_id, id);

CREATE TABLE diagnostics_status_notifications (
  id               bigserial PRIMARY KEY,
  charge_point_id  text NOT NULL,
  status           text NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX diagnostics_status_by_charge_point ON diagnostics_status_notifications (charge_point_id, id);

CREATE TABLE firmware_status_notifications (
  id               bigserial PRIMARY KEY,
  charge_point_id  text NOT NULL,
  status           text NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX firmware_status_by_charge_point ON firmware_status_notifications (charge_point_id, id);

CREATE TABLE security_events (
  id               bigserial PRIMARY KEY,
  charge_point_id  text NOT NULL,
  type             text NOT NULL,
  timestamp        timestamptz NOT NULL,
  tech_info        text,
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_events_by_charge_point ON security_events (charge_point_id, id);

CREATE TABLE certificate_signing_requests (
  id               bigserial PRIMARY KEY,
  charge_point_id  text NOT NULL,
  csr              text NOT NULL,
  status           text NOT NULL DEFAULT 'Received',
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX csr_by_charge_point ON certificate_signing_requests (charge_point_id, id);

CREATE TABLE log_status_notifications (
  id               bigserial PRIMARY KEY,
  charge_point_id  text NOT NULL,
  status           text NOT NULL,
  request_id       integer,
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX log_status_by_charge_point ON log_status_notifications (charge_point_id, id);

CREATE TABLE signed_firmware_status_notifications (
  id               bigserial PRIMARY KEY,
  charge_point_id  text NOT NULL,
  status           text NOT NULL,
  request_id       integer,
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signed_firmware_status_by_charge_point
  ON signed_firmware_status_notifications (charge_point_id, id);

CREATE TABLE data_transfers (
  id               bigserial PRIMARY KEY,
  charge_point_id  text NOT NULL,
  vendor_id        text NOT NULL,
  message_id       text,
  data             text,
  answer_status    text NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_transfers_by_charge_point ON data_transfers (charge_point_id, id);
