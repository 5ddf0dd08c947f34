-- Meter values (one row per sampled value: 1,920-5,760 rows per pile per
-- day, about as many bytes as the message log: docs/capacity.md) partitioned
-- by UTC day of received_at, like the message log (migration 0011), so that
-- --meter-values-retention-days drops whole days instead of DELETE + VACUUM.
--
-- By day, not by week: at 100,000 piles a day is ~570 M rows and ~100 GB;
-- a week would be 7 times that in one table, and the index on
-- (charge_point_id, connector_id, timestamp) takes its inserts all over its
-- width, so the partition being written must keep it in memory (~38 GB a
-- day at that size, ~270 GB a week: docs/capacity.md). The
-- cost of many partitions is the lookup by transaction, which cannot prune by
-- transaction_id: the store bounds it by the transaction's created_at, so it
-- reads only the partitions from the transaction's day on.
--
-- By received_at (the database's clock when the row was written), not by the
-- pile's timestamp: a pile's clock may be years off, and values a pile kept
-- while offline arrive days late; both land in the partition of the day they
-- arrived and are kept for the retention from then.
--
-- What partitioning changes here: the primary key includes received_at (a
-- partitioned table's unique constraints include the partition key); no
-- foreign key references meter_values and no statement writes it with ON
-- CONFLICT (rows arrive by COPY), so nothing else has to follow.
--
-- The existing table becomes the first partition, meter_values_legacy, for
-- everything received before the end of today: attaching it moves no row (it
-- checks them, and builds the new primary key below: the one step whose time
-- grows with the table; docs/deployment.md "Upgrading to the partitioned
-- tables").
ALTER TABLE meter_values RENAME TO meter_values_legacy;
ALTER TABLE meter_values_legacy DROP CONSTRAINT meter_values_pkey;
ALTER TABLE meter_values_legacy ADD CONSTRAINT meter_values_legacy_pkey PRIMARY KEY (id, received_at);
ALTER TABLE meter_values_legacy
  RENAME CONSTRAINT meter_values_charge_point_id_fkey TO meter_values_legacy_charge_point_id_fkey;
ALTER INDEX meter_values_by_transaction RENAME TO meter_values_legacy_by_transaction;
ALTER INDEX meter_values_by_connector RENAME TO meter_values_legacy_by_connector;

CREATE TABLE meter_values (
  id               bigint NOT NULL DEFAULT nextval('meter_values_id_seq'),
  charge_point_id  text NOT NULL
                   CONSTRAINT meter_values_charge_point_id_fkey
                   REFERENCES charge_points (id) ON DELETE CASCADE,
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
  received_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, received_at)  -- a partitioned table's key includes the partition key
) PARTITION BY RANGE (received_at);
-- The sequence belongs to the new table: dropping the legacy partition must
-- not drop it.
ALTER SEQUENCE meter_values_id_seq OWNED BY meter_values.id;
ALTER TABLE meter_values_legacy ALTER COLUMN id DROP DEFAULT;
-- The same definitions as the legacy table's indexes (and foreign key), so
-- attaching adopts them instead of building new ones.
CREATE INDEX meter_values_by_transaction ON meter_values (transaction_id, timestamp)
  WHERE transaction_id IS NOT NULL;
CREATE INDEX meter_values_by_connector ON meter_values (charge_point_id, connector_id, timestamp);

DO $$
DECLARE
  legacy_end timestamptz := (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day')
                            AT TIME ZONE 'UTC';
BEGIN
  EXECUTE format('ALTER TABLE meter_values ATTACH PARTITION meter_values_legacy'
                 ' FOR VALUES FROM (MINVALUE) TO (%L)', legacy_end);
END
$$;
-- Values of a day without a partition (nodes stopped for over a week) are
-- kept here, never refused.
CREATE TABLE meter_values_default PARTITION OF meter_values DEFAULT;

-- The upkeep of every table kept in one partition per UTC day of its range
-- partition key (message_log, meter_values): creates the partitions
-- <table>_pYYYYMMDD from the day of `as_of` through `days_ahead` days after
-- it, and with retention_days > 0 drops every partition whose range ends at
-- or before the start of the day of `as_of` minus retention_days days (so at
-- least retention_days whole days are kept); rows of those days in the
-- default partition are deleted by the same rule. Returns the number of
-- partitions dropped. Nodes call it concurrently: one runs per table at a
-- time, and a call finding another at work on its table returns 0 at once
-- (the other does the same work). Creating and dropping a partition locks the table against writes
-- for a moment; when a long reader keeps that lock from being granted within
-- lock_timeout, the call fails (and the writers queued behind it go on)
-- rather than stalling them: the next round retries, and the partitions are
-- made a week ahead.
CREATE FUNCTION day_partitions_maintain(parent regclass, as_of timestamptz,
                                        days_ahead integer, retention_days integer)
RETURNS integer LANGUAGE plpgsql SET lock_timeout = '5s' AS $$
DECLARE
  table_name text := (SELECT relname FROM pg_class WHERE oid = parent);
  default_partition regclass :=
    (SELECT nullif(partdefid, 0)::regclass FROM pg_partitioned_table WHERE partrelid = parent);
  key_column text :=
    (SELECT a.attname FROM pg_partitioned_table p
       JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
      WHERE p.partrelid = parent);
  today timestamp := date_trunc('day', as_of AT TIME ZONE 'UTC');
  day_start timestamptz;
  name text;
  cutoff timestamptz;
  part record;
  dropped integer := 0;
BEGIN
  IF key_column IS NULL THEN
    RAISE EXCEPTION '% is not partitioned by a column', parent;
  END IF;
  IF NOT pg_try_advisory_xact_lock(hashtext('day_partitions_maintain ' || table_name)) THEN
    RETURN 0;
  END IF;
  FOR i IN 0 .. days_ahead LOOP
    day_start := (today + make_interval(days => i)) AT TIME ZONE 'UTC';
    name := table_name || '_p' || to_char(today + make_interval(days => i), 'YYYYMMDD');
    CONTINUE WHEN to_regclass(name) IS NOT NULL;
    BEGIN
      EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                     name, parent, day_start, day_start + interval '1 day');
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
      SELECT c.oid::regclass AS partition,
             substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz
               AS range_end
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = parent AND c.oid IS DISTINCT FROM default_partition
    LOOP
      IF part.range_end <= cutoff THEN
        EXECUTE format('DROP TABLE %s', part.partition);
        dropped := dropped + 1;
      END IF;
    END LOOP;
    IF default_partition IS NOT NULL THEN
      EXECUTE format('DELETE FROM %s WHERE %I < $1', default_partition, key_column) USING cutoff;
    END IF;
  END IF;
  RETURN dropped;
END
$$;

-- Migration 0011's name for the message log's upkeep, kept for the nodes
-- still running the previous release during a rolling upgrade.
CREATE OR REPLACE FUNCTION message_log_maintain(as_of timestamptz, days_ahead integer,
                                                retention_days integer)
RETURNS integer LANGUAGE sql AS $$
  SELECT day_partitions_maintain('message_log', as_of, days_ahead, retention_days)
$$;

SELECT day_partitions_maintain('meter_values', now(), 7, 0);
