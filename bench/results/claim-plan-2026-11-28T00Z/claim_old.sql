PREPARE claim(text[], text) AS
WITH piles AS (SELECT DISTINCT unnest($1::text[]) AS cp),
 ready AS (SELECT cp FROM piles WHERE NOT EXISTS (SELECT 1 FROM commands s
 WHERE s.charge_point_id = piles.cp AND s.status = 'sent')),
 next AS (SELECT n.id AS claim_id, n.secret AS claimed_secret FROM ready,
 LATERAL (SELECT id, secret FROM commands c WHERE c.charge_point_id = ready.cp
 AND c.status = 'queued' AND c.expires_at > now() ORDER BY c.id LIMIT 1
 FOR UPDATE SKIP LOCKED) AS n)
 UPDATE commands SET status = 'sent', sent_at = now(), claimed_by = $2,
 secret = NULL FROM next WHERE id = next.claim_id RETURNING commands.id;
