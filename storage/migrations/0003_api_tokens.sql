-- REST API access: vehicle owners and the bearer tokens of every API role.
-- Tokens are never stored in clear: token_hash is the hex SHA-256 of the
-- token text (tokens are 32 random bytes, see core/token_service.h).

CREATE TABLE owners (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
  id          bigserial PRIMARY KEY,
  role        text NOT NULL CHECK (role IN ('operator', 'owner', 'telematics')),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  owner_id    bigint REFERENCES owners (id) ON DELETE CASCADE,
  token_hash  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  -- Owner tokens belong to an owner; the other roles to nobody.
  CHECK ((role = 'owner') = (owner_id IS NOT NULL))
);
CREATE INDEX api_tokens_by_owner ON api_tokens (owner_id) WHERE owner_id IS NOT NULL;
