-- The vehicle lock (SPEC §4, §5): owners' vehicles with their identifiers
-- and last known telematics state, lock authorizations with their piles and
-- audit trail, and the owners' notifications.

CREATE TABLE vehicles (
  -- 17 characters, no I, O or Q (ISO 3779); stored upper case.
  vin                      text PRIMARY KEY CHECK (vin ~ '^[A-HJ-NPR-Z0-9]{17}$'),
  owner_id                 bigint NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
  -- Last known state from the vehicle cloud platform.
  soc                      double precision,
  latitude                 double precision,
  longitude                double precision,
  reported_at              timestamptz,
  -- Low-battery prompt: set when the prompt was sent, cleared when the state
  -- of charge rises back above the threshold (one prompt per drop).
  low_battery_prompted_at  timestamptz,
  created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vehicles_by_owner ON vehicles (owner_id, vin);

-- Id tags (RFID cards) and EVCC ids (Autocharge) of a vehicle; each value
-- belongs to one vehicle.
CREATE TABLE vehicle_identifiers (
  kind        text NOT NULL CHECK (kind IN ('idTag', 'evccId')),
  value       text NOT NULL CHECK (length(value) BETWEEN 1 AND 64),
  vin         text NOT NULL REFERENCES vehicles (vin) ON DELETE CASCADE,
  PRIMARY KEY (kind, value)
);
CREATE INDEX vehicle_identifiers_by_vin ON vehicle_identifiers (vin);
-- Autocharge piles report the EVCC id as an id tag: look both up by value.
CREATE INDEX vehicle_identifiers_by_value ON vehicle_identifiers (value);

CREATE TABLE vehicle_locks (
  id                    text PRIMARY KEY,
  vin                   text NOT NULL REFERENCES vehicles (vin) ON DELETE CASCADE,
  owner_id              bigint NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
  status                text NOT NULL DEFAULT 'requested'
                          CHECK (status IN ('requested', 'armed', 'engaged', 'released',
                                            'cancelled')),
  scope                 text NOT NULL DEFAULT 'all' CHECK (scope IN ('all', 'radius')),
  center_latitude       double precision,
  center_longitude      double precision,
  radius_km             double precision CHECK (radius_km > 0),
  CHECK ((scope = 'radius') = (radius_km IS NOT NULL AND center_latitude IS NOT NULL
                               AND center_longitude IS NOT NULL)),
  -- Where the vehicle is held (engaged), and what identified it.
  charge_point_id       text,
  connector_id          integer,
  matched_kind          text CHECK (matched_kind IN ('idTag', 'evccId', 'vin')),
  matched_value         text,
  -- Caught by the central system's own enforcement (Authorize /
  -- StartTransaction answered Blocked): the pile does not hold the vehicle.
  engaged_without_hold  boolean NOT NULL DEFAULT false,
  engaged_at            timestamptz,
  -- Release: the UnlockConnector command, and why the release has not
  -- completed (when it failed).
  release_command_id    bigint REFERENCES commands (id) ON DELETE SET NULL,
  release_error         text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
-- One active lock per vehicle.
CREATE UNIQUE INDEX vehicle_locks_one_active ON vehicle_locks (vin)
  WHERE status IN ('requested', 'armed', 'engaged');
CREATE INDEX vehicle_locks_by_owner ON vehicle_locks (owner_id, created_at);
CREATE INDEX vehicle_locks_active ON vehicle_locks (status)
  WHERE status IN ('requested', 'armed', 'engaged');

-- The piles a lock was sent to (LockVehicle) and what they answered.
CREATE TABLE vehicle_lock_piles (
  lock_id            text NOT NULL REFERENCES vehicle_locks (id) ON DELETE CASCADE,
  charge_point_id    text NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
  status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'armed', 'unsupported', 'disarmed')),
  command_id         bigint REFERENCES commands (id) ON DELETE SET NULL,  -- latest LockVehicle
  unlock_command_id  bigint REFERENCES commands (id) ON DELETE SET NULL,  -- UnlockVehicle
  detail             text,  -- e.g. the pile's answer "UnknownVendorId"
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lock_id, charge_point_id)
);
CREATE INDEX vehicle_lock_piles_by_charge_point ON vehicle_lock_piles (charge_point_id);

-- Audit trail: every state change of a lock, with its time and cause.
CREATE TABLE vehicle_lock_transitions (
  id           bigserial PRIMARY KEY,
  lock_id      text NOT NULL REFERENCES vehicle_locks (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL DEFAULT now(),
  from_status  text,  -- none for the creation
  to_status    text NOT NULL,
  cause        text NOT NULL
);
CREATE INDEX vehicle_lock_transitions_by_lock ON vehicle_lock_transitions (lock_id, id);

-- Notifications per owner; the id is the paging cursor.
CREATE TABLE owner_notifications (
  id          bigserial PRIMARY KEY,
  owner_id    bigint NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('low_battery', 'vehicle_caught', 'lock_state')),
  body        text NOT NULL,  -- JSON object text
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX owner_notifications_by_owner ON owner_notifications (owner_id, id);
