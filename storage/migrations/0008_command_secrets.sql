-- Secrets kept out of the command queue, the stored configuration and the
-- message log (SPEC §7). A ChangeConfiguration of AuthorizationKey (the
-- pile's password) keeps "***" in `payload`; its value lives in `secret`,
-- sealed with AES-256-GCM when the operator gave a key (core/secret_box.h),
-- and only while the command is queued: the claim that delivers it takes it
-- out of the row (a command put back unsent gets it back).

ALTER TABLE commands ADD COLUMN secret text;

-- Rows written before this migration held the key in clear. Queued ones
-- keep it (moved to `secret`, unencrypted: this SQL has no key; it leaves
-- at delivery like any other), every other copy becomes "***". A command
-- already sent keeps it in memory only (the node that sent it).
-- Configuration keys are case-insensitive (CiString50).
UPDATE commands
   SET secret = CASE WHEN status = 'queued' THEN 'plain:' || (payload::jsonb ->> 'value') END,
       payload = jsonb_set(payload::jsonb, '{value}', '"***"')::text
 WHERE action = 'ChangeConfiguration'
   AND lower(payload::jsonb ->> 'key') = 'authorizationkey'
   AND payload::jsonb ? 'value';

UPDATE charge_point_configuration
   SET value = '***'
 WHERE lower(key) = 'authorizationkey' AND value IS NOT NULL;

-- Outgoing CALLs are always valid JSON (the central system wrote them):
-- [2, id, "ChangeConfiguration", {"key": ..., "value": ...}]. Incoming
-- frames may be anything, so the JSON is only read behind the CASE (which,
-- unlike AND, fixes the order of evaluation).
UPDATE message_log
   SET frame = jsonb_set(frame::jsonb, '{3,value}', '"***"')::text
 WHERE CASE WHEN direction = 'out' AND frame LIKE '[2,%'
                 AND strpos(lower(frame), 'authorizationkey') > 0
            THEN frame::jsonb ->> 2 = 'ChangeConfiguration'
                 AND lower(frame::jsonb -> 3 ->> 'key') = 'authorizationkey'
                 AND frame::jsonb -> 3 ? 'value'
            ELSE false END;

-- A pile that reported its AuthorizationKey in a GetConfiguration answer:
-- "***" in the command's response and in the logged answer frame.
CREATE FUNCTION pg_temp.redact_configuration(keys jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT coalesce(jsonb_agg(CASE WHEN lower(e ->> 'key') = 'authorizationkey' AND e ? 'value'
                                 THEN jsonb_set(e, '{value}', '"***"') ELSE e END ORDER BY n),
                  '[]'::jsonb)
    FROM jsonb_array_elements(keys) WITH ORDINALITY AS t(e, n)
$$;

UPDATE commands
   SET response = jsonb_set(response::jsonb, '{configurationKey}',
                            pg_temp.redact_configuration(response::jsonb -> 'configurationKey'))::text
 WHERE action = 'GetConfiguration'
   AND response IS NOT NULL
   AND strpos(lower(response), 'authorizationkey') > 0
   AND jsonb_typeof(response::jsonb -> 'configurationKey') = 'array';

-- Incoming frames may be malformed: each candidate is tried on its own.
DO $$
DECLARE
  row record;
BEGIN
  FOR row IN SELECT id, frame FROM message_log
              WHERE direction = 'in' AND frame LIKE '[3,%'
                AND strpos(lower(frame), 'authorizationkey') > 0 LOOP
    BEGIN
      IF jsonb_typeof(row.frame::jsonb -> 2 -> 'configurationKey') = 'array' THEN
        UPDATE message_log
           SET frame = jsonb_set(row.frame::jsonb, '{2,configurationKey}',
                                 pg_temp.redact_configuration(row.frame::jsonb -> 2 -> 'configurationKey'))::text
         WHERE id = row.id;
      END IF;
    EXCEPTION WHEN invalid_text_representation THEN
      NULL;  -- not JSON: left as received
    END;
  END LOOP;
END
$$;
