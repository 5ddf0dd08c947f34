-- Secrets kept out of the command queue, the stored configuration and the
-- message log (SPEC §7). A ChangeConfiguration of AuthorizationKey (the
-- pile's password) keeps "***" in `payload`; its value lives in `secret`,
-- sealed with AES-256-GCM when the operator gave a key (core/secret_box.h),
-- and only until the command reaches a final state.

ALTER TABLE commands ADD COLUMN secret text;

-- Rows written before this migration held the key in clear. Queued ones
-- keep it (moved to `secret`, unencrypted: this SQL has no key; it is
-- dropped at delivery like any other), every other copy becomes "***".
-- Configuration keys are case-insensitive (CiString50).
UPDATE commands
   SET secret = CASE WHEN status IN ('queued', 'sent') THEN 'plain:' || (payload::jsonb ->> 'value') END,
       payload = jsonb_set(payload::jsonb, '{value}', '"***"')::text
 WHERE action = 'ChangeConfiguration'
   AND lower(payload::jsonb ->> 'key') = 'authorizationkey'
   AND payload::jsonb ? 'value';

UPDATE charge_point_configuration
   SET value = '***'
 WHERE lower(key) = 'authorizationkey' AND value IS NOT NULL;

-- Outgoing frames are always valid JSON (the central system wrote them):
-- [2, id, "ChangeConfiguration", {"key": ..., "value": ...}].
UPDATE message_log
   SET frame = jsonb_set(frame::jsonb, '{3,value}', '"***"')::text
 WHERE direction = 'out'
   AND frame LIKE '[2,%'
   AND strpos(lower(frame), 'authorizationkey') > 0
   AND frame::jsonb ->> 2 = 'ChangeConfiguration'
   AND lower(frame::jsonb -> 3 ->> 'key') = 'authorizationkey';
