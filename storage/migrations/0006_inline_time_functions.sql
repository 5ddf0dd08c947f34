-- micros_to_ts / ts_to_micros were declared IMMUTABLE, but timestamptz
-- arithmetic and extract() are STABLE, so PostgreSQL refused to inline them
-- and ran each call through the SQL-function executor (one nested query per
-- value: a large share of the server's time per OCPP message). Declared
-- STABLE, which is what they are, they are inlined into the calling query.
-- No index or constraint uses them.
ALTER FUNCTION micros_to_ts(bigint) STABLE;
ALTER FUNCTION ts_to_micros(timestamptz) STABLE;
