-- The message log (two rows per OCPP message, the largest table by far)
-- partitioned by day (UTC) of received_at, so that retention drops whole
-- partitions (a file unlink) instead of DELETE + VACUUM over billions of
-- rows (docs/capacity.md).
--
-- The existing table becomes the first partition, message_log_legacy, for
-- everything received before the end of today: attaching it moves no row
-- (it checks them, and builds the new primary key below).
-- The OCPP nodes create the partitions of the coming days ahead and drop the
-- old ones (message_log_maintain below, --message-log-retention-days); a
-- frame whose day has no partition (a node's clock far off, or nodes not run
-- for a week) lands in message_log_default and is kept, never refused.
ALTER TABLE message_log RENAME TO message_log_legacy;
-- A partition's key matches its table's, which includes received_at (an
-- index build over the existing rows: the one cost of this migration that
-- grows with the log).
ALTER TABLE message_log_legacy DROP CONSTRAINT message_log_pkey;
ALTER TABLE message_log_legacy ADD CONSTRAINT message_log_legacy_pkey PRIMARY KEY (id, received_at);
ALTER INDEX message_log_by_charge_point RENAME TO message_log_legacy_by_charge_point;

CREATE TABLE message_log (
  id               bigint NOT NULL DEFAULT nextval('message_log_id_seq'),
  charge_point_id  text NOT NULL,
  direction        text NOT NULL
                   CONSTRAINT message_log_direction_check CHECK (direction IN ('in', 'out')),
  frame            text NOT NULL,
  received_at      timestamptz NOT NULL,
  PRIMARY KEY (id, received_at)  -- a partitioned table's key includes the partition key
) PARTITION BY RANGE (received_at);
-- The sequence belongs to the new table: dropping the legacy partition must
-- not drop it.
ALTER SEQUENCE message_log_id_seq OWNED BY message_log.id;
ALTER TABLE message_log_legacy ALTER COLUMN id DROP DEFAULT;
CREATE INDEX message_log_by_charge_point ON message_log (charge_point_id, id);

DO $$
DECLARE
  legacy_end timestamptz := (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day')
                            AT TIME ZONE 'UTC';
BEGIN
  EXECUTE format('ALTER TABLE message_log ATTACH PARTITION message_log_legacy'
                 ' FOR VALUES FROM (MINVALUE) TO (%L)', legacy_end);
END
$$;
CREATE TABLE message_log_default PARTITION OF message_log DEFAULT;

-- Creates the day partitions (message_log_pYYYYMMDD, UTC days) from the day
-- of `as_of` through `days_ahead` days after it, and with retention_days > 0
-- drops every partition whose range ends at or before the start of the day
-- of `as_of` minus retention_days days (so at least retention_days whole days
-- are kept). Rows of old days in the default partition are deleted by the
-- same rule. Returns the number of partitions dropped. Nodes call it
-- concurrently: one runs at a time.
CREATE FUNCTION message_log_maintain(as_of timestamptz, days_ahead integer, retention_days integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  today timestamp := date_trunc('day', as_of AT TIME ZONE 'UTC');
  day_start timestamptz;
  name text;
  cutoff timestamptz;
  part record;
  dropped integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('message_log_maintain'));
  FOR i IN 0 .. days_ahead LOOP
    day_start := (today + make_interval(days => i)) AT TIME ZONE 'UTC';
    name := 'message_log_p' || to_char(today + make_interval(days => i), 'YYYYMMDD');
    CONTINUE WHEN to_regclass(name) IS NOT NULL;
    BEGIN
      EXECUTE format('CREATE TABLE %I PARTITION OF message_log FOR VALUES FROM (%L) TO (%L)',
                     name, day_start, day_start + interval '1 day');
    EXCEPTION
      -- The day lies inside the legacy partition (the migration's day).
      WHEN invalid_object_definition THEN NULL;
      -- The default partition already holds rows of that day: they stay
      -- there (kept, and dropped by the retention below like the rest).
      WHEN check_violation THEN NULL;
    END;
  END LOOP;
  IF retention_days > 0 THEN
    cutoff := (today - make_interval(days => retention_days)) AT TIME ZONE 'UTC';
    FOR part IN
      SELECT c.relname,
             substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz
               AS range_end
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'message_log'::regclass AND c.relname <> 'message_log_default'
    LOOP
      IF part.range_end <= cutoff THEN
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
      END IF;
    END LOOP;
    DELETE FROM message_log_default WHERE received_at < cutoff;
  END IF;
  RETURN dropped;
END
$$;

SELECT message_log_maintain(now(), 7, 0);
