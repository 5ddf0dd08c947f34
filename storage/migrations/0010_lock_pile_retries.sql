-- A lock's pile whose LockVehicle (or, after the release, UnlockVehicle)
-- failed with a CALLERROR is sent it again after a back-off, not at once
-- and not never: how often it was tried, and when to try again.
ALTER TABLE vehicle_lock_piles
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN retry_at timestamptz;
CREATE INDEX vehicle_lock_piles_due ON vehicle_lock_piles (retry_at) WHERE retry_at IS NOT NULL;
