-- Owners' webhooks (SPEC §5, issue 4): at most one URL per owner, and a
-- durable outbox of deliveries so that every notification reaches the URL
-- at least once, across restarts and with several API processes.

-- The secret is the owner's own (they verify X-ChargeLock-Signature with
-- it), so it is kept as given: an HMAC key must be usable, a hash of it
-- would not be. It is never returned by the API after it was set.
CREATE TABLE owner_webhooks (
  owner_id    bigint PRIMARY KEY REFERENCES owners (id) ON DELETE CASCADE,
  url         text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
  secret      text NOT NULL CHECK (length(secret) BETWEEN 16 AND 512),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per notification of an owner who has a webhook, inserted in the
-- notification's transaction. Deleting the webhook drops its deliveries.
-- A delivery is sent to the owner's current URL, signed with the current
-- secret. Claimed rows get next_attempt_at moved forward by a lease, so a
-- process that dies mid-request leaves the row due again (at least once).
CREATE TABLE webhook_deliveries (
  id               bigserial PRIMARY KEY,  -- X-ChargeLock-Delivery
  notification_id  bigint NOT NULL UNIQUE REFERENCES owner_notifications (id) ON DELETE CASCADE,
  owner_id         bigint NOT NULL REFERENCES owner_webhooks (owner_id) ON DELETE CASCADE,
  status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_status      integer,  -- HTTP status of the last answer (none: no answer)
  last_error       text,     -- why the last attempt failed
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_owner ON webhook_deliveries (owner_id, id);
