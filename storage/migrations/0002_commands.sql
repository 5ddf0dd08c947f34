-- The durable command queue (central-system-initiated OCPP calls) and the
-- pile state that completed commands leave behind: configuration keys, the
-- local authorization list version and reservations.

CREATE TABLE commands (
  id                bigserial PRIMARY KEY,
  charge_point_id   text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
  action            text NOT NULL,
  payload           text NOT NULL,
  status            text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'sent', 'completed', 'failed', 'timeout',
                                        'expired')),
  response          text,
  error_code        text,
  error_description text,
  idempotency_key   text,
  origin            text NOT NULL DEFAULT 'operator',
  -- The OCPP node that claimed the command, and the message id of the CALL.
  claimed_by        text,
  message_id        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz NOT NULL,
  sent_at           timestamptz,
  completed_at      timestamptz,
  -- A retried request with the same key maps onto the same command.
  CONSTRAINT commands_idempotency_unique UNIQUE (charge_point_id, idempotency_key)
);
-- Claiming: the oldest queued command of one charge point.
CREATE INDEX commands_queued_by_charge_point ON commands (charge_point_id, id)
  WHERE status = 'queued';
-- Sweeps: overdue queued commands, sent commands without an answer.
CREATE INDEX commands_queued_by_expiry ON commands (expires_at) WHERE status = 'queued';
CREATE INDEX commands_sent_by_time ON commands (sent_at) WHERE status = 'sent';
-- Listing.
CREATE INDEX commands_by_charge_point ON commands (charge_point_id, id);
CREATE INDEX commands_by_status ON commands (status, id);

-- Configuration keys as last reported by GetConfiguration (or changed by an
-- accepted ChangeConfiguration).
CREATE TABLE charge_point_configuration (
  charge_point_id   text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
  key               text NOT NULL,
  value             text,
  readonly          boolean NOT NULL DEFAULT false,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (charge_point_id, key)
);

-- The local authorization list version a pile reported or accepted.
CREATE TABLE charge_point_local_lists (
  charge_point_id   text PRIMARY KEY REFERENCES charge_points (id) ON DELETE CASCADE,
  version           integer NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Reservations a pile accepted (ReserveNow) and their end.
CREATE TABLE reservations (
  charge_point_id   text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
  reservation_id    integer NOT NULL,
  connector_id      integer NOT NULL,
  id_tag            text NOT NULL,
  parent_id_tag     text,
  expiry_date       timestamptz NOT NULL,
  status            text NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'cancelled', 'used', 'expired')),
  command_id        bigint REFERENCES commands (id) ON DELETE SET NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (charge_point_id, reservation_id)
);
