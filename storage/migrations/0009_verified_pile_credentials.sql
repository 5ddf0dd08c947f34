-- Pile passwords that recently passed the PBKDF2 check, so a node that
-- restarts (kill -9, deploy) lets its piles back in without hashing each
-- password again: a reconnect storm of 10,000 piles would otherwise cost
-- 10,000 PBKDF2 runs (core/verified_credentials.h).
--
-- `mac` is HMAC-SHA256, under a key derived from CHARGELOCK_SECRET_KEY, of
-- the pile id, the password and the pile's current password hash. The key
-- is never in the database, so a copy of this table (or a backup) tests no
-- password guess; a new password hash makes the row useless at once; rows
-- older than the lifetime are ignored and replaced at the next check.
-- One row per pile: the latest password that passed.
CREATE TABLE charge_point_verified_credentials (
  charge_point_id text PRIMARY KEY REFERENCES charge_points (id) ON DELETE CASCADE,
  mac             text NOT NULL,
  verified_at     timestamptz NOT NULL
);
