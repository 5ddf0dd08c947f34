-- Every change of an API token row is signalled at its commit on the
-- channel chargelock_api_tokens, whoever makes it (the API's revocation, an
-- owner deleted with its tokens, a role or VINs changed by hand in SQL):
-- each API process keeps the tokens it verified for a few seconds
-- (core/verified_token_cache.h) and drops one the moment it hears of its
-- change. A trigger, not the application's statements, so that no path of
-- change can skip the signal. The payload is the token's id; '*' after a
-- TRUNCATE (every token). Inserts need no signal: an unknown token is never
-- kept.
-- (Numbered 0015: 0014 is taken by the commands' indexes.)
CREATE FUNCTION api_tokens_signal_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('chargelock_api_tokens', '*');
  ELSE
    PERFORM pg_notify('chargelock_api_tokens', OLD.id::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_signal_change AFTER UPDATE OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION api_tokens_signal_change();
CREATE TRIGGER api_tokens_signal_truncate AFTER TRUNCATE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION api_tokens_signal_change();
