-- The lock in the real world (issue 10, SPEC §4.1, §7):
--  * a vehicle is bound to an owner only once verified (by an operator or
--    the vehicle's telematics platform); until then an owner's registration
--    is a claim, and several owners may claim one VIN;
--  * id tags are assigned to owners by operators;
--  * telematics tokens are scoped to the VINs of their platform;
--  * every catch and Blocked attempt is a sighting; locks expire, carry a
--    police case reference, and their evidence outlives the vehicle's
--    deletion by its owner;
--  * operators have an inbox of notifications (owner id 0).

-- ---- claims and verification

-- An owner's claim that a VIN is theirs, with the identifiers they listed.
CREATE TABLE vehicle_registrations (
  vin         text NOT NULL REFERENCES vehicles (vin) ON DELETE CASCADE,
  owner_id    bigint NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (vin, owner_id)
);
CREATE INDEX vehicle_registrations_by_owner ON vehicle_registrations (owner_id, vin);
INSERT INTO vehicle_registrations (vin, owner_id, created_at)
  SELECT vin, owner_id, created_at FROM vehicles;

-- Identifiers belong to a registration; two claims may list the same EVCC
-- id, the verified one is the one a lock uses.
ALTER TABLE vehicle_identifiers ADD COLUMN owner_id bigint;
UPDATE vehicle_identifiers i SET owner_id = v.owner_id FROM vehicles v WHERE v.vin = i.vin;
ALTER TABLE vehicle_identifiers ALTER COLUMN owner_id SET NOT NULL;
ALTER TABLE vehicle_identifiers DROP CONSTRAINT vehicle_identifiers_pkey;
ALTER TABLE vehicle_identifiers ADD PRIMARY KEY (kind, value, owner_id);
ALTER TABLE vehicle_identifiers ADD FOREIGN KEY (vin, owner_id)
  REFERENCES vehicle_registrations (vin, owner_id) ON DELETE CASCADE;
-- What a pile's report is compared with (core/vehicle_identity.h computes
-- it): the id tag itself; an EVCC id without a "VID:" prefix and
-- separators, upper case (Autocharge piles send either form).
ALTER TABLE vehicle_identifiers ADD COLUMN match_key text;
UPDATE vehicle_identifiers SET match_key = CASE kind WHEN 'idTag' THEN value
  ELSE upper(regexp_replace(regexp_replace(value, '^vid:', '', 'i'), '[-:.]', '', 'g')) END;
ALTER TABLE vehicle_identifiers ALTER COLUMN match_key SET NOT NULL;
CREATE INDEX vehicle_identifiers_by_match_key ON vehicle_identifiers (match_key);

-- vehicles.owner_id is now the verified owner (none until verified). The
-- registrations made before this migration were never verified: they stay
-- claims until an operator verifies them (their active locks go on).
ALTER TABLE vehicles ALTER COLUMN owner_id DROP NOT NULL;
ALTER TABLE vehicles ADD COLUMN verified_at timestamptz;
ALTER TABLE vehicles ADD COLUMN verified_by text;  -- "operator:<token name>" / "telematics:<token name>"
UPDATE vehicles SET owner_id = NULL;

-- ---- id tags assigned to owners

ALTER TABLE id_tags ADD COLUMN owner_id bigint REFERENCES owners (id) ON DELETE SET NULL;
CREATE INDEX id_tags_by_owner ON id_tags (owner_id) WHERE owner_id IS NOT NULL;
-- Today's owner-registered tags become assignments to those owners. A tag
-- unknown to the central system is added as Invalid: it authorized nothing
-- before and authorizes nothing now.
INSERT INTO id_tags (id_tag, status, owner_id)
  SELECT i.value, 'Invalid', i.owner_id FROM vehicle_identifiers i
   WHERE i.kind = 'idTag' AND length(i.value) <= 20
  ON CONFLICT (id_tag) DO UPDATE SET owner_id = COALESCE(id_tags.owner_id, excluded.owner_id);

-- ---- telematics tokens scoped to VINs (none: every VIN, as before)

ALTER TABLE api_tokens ADD COLUMN vins text[];

-- ---- locks: expiry, case reference, operator release

ALTER TABLE vehicle_locks DROP CONSTRAINT vehicle_locks_status_check;
ALTER TABLE vehicle_locks ADD CONSTRAINT vehicle_locks_status_check
  CHECK (status IN ('requested', 'armed', 'engaged', 'released', 'cancelled', 'expired'));
ALTER TABLE vehicle_locks ADD COLUMN expires_at timestamptz;
UPDATE vehicle_locks SET expires_at = created_at + interval '30 days';
ALTER TABLE vehicle_locks ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE vehicle_locks ADD COLUMN expiry_warned_at timestamptz;
ALTER TABLE vehicle_locks ADD COLUMN case_reference text CHECK (length(case_reference) <= 200);
-- Evidence outlives the owner's deletion of the vehicle: a lock keeps its
-- vehicle row (vehicles are never deleted, only registrations).
CREATE INDEX vehicle_locks_expiring ON vehicle_locks (expires_at)
  WHERE status IN ('requested', 'armed', 'engaged');

-- ---- sightings: every catch and every Blocked attempt

CREATE TABLE vehicle_lock_sightings (
  id               bigserial PRIMARY KEY,
  lock_id          text NOT NULL REFERENCES vehicle_locks (id),
  -- No foreign key: evidence outlives the pile's removal.
  charge_point_id  text NOT NULL,
  connector_id     integer,
  at               timestamptz NOT NULL DEFAULT now(),
  -- What reported it: the pile's VehicleLocked, the central system's
  -- Blocked answer to Authorize / StartTransaction, or an open transaction
  -- found when the lock was requested or the pile armed.
  source           text NOT NULL
                     CHECK (source IN ('VehicleLocked', 'Authorize', 'StartTransaction',
                                       'Transaction')),
  matched_kind     text CHECK (matched_kind IN ('idTag', 'evccId', 'vin')),
  matched_value    text,
  held             boolean NOT NULL,
  transaction_id   integer,
  -- Where the pile stood then (a pile may be moved or removed later).
  latitude         double precision,
  longitude        double precision
);
CREATE INDEX vehicle_lock_sightings_by_lock ON vehicle_lock_sightings (lock_id, id);

-- ---- notifications: new kinds, and the operators' inbox

ALTER TABLE owner_notifications DROP CONSTRAINT owner_notifications_kind_check;
ALTER TABLE owner_notifications ADD CONSTRAINT owner_notifications_kind_check
  CHECK (kind IN ('low_battery', 'vehicle_caught', 'lock_state', 'vehicle_sighted',
                  'lock_expiring'));
-- Owner 0 is the network operators' inbox: their notifications, stream and
-- webhook use the owners' machinery. It has no owner token.
INSERT INTO owners (id, name) VALUES (0, 'network operators') ON CONFLICT (id) DO NOTHING;

-- ---- what an extension pile declared it supports (DataTransfer
-- org.chargelock Capabilities): hashed matching gets identifiers as salted
-- SHA-256 instead of in clear.
CREATE TABLE charge_point_lock_capabilities (
  charge_point_id  text PRIMARY KEY REFERENCES charge_points (id) ON DELETE CASCADE,
  hashed_matching  boolean NOT NULL,
  reported_at      timestamptz NOT NULL DEFAULT now()
);
