TRUNCATE charge_points CASCADE;
INSERT INTO charge_points (id) SELECT 'P'||g FROM generate_series(1,10000) g;
INSERT INTO commands (charge_point_id, action, payload, status, expires_at, sent_at, completed_at)
 SELECT 'P'||g, 'DataTransfer', '{}', 'completed', now()+interval '1 hour', now(), now() FROM generate_series(1,10000) g, generate_series(1,2);
VACUUM ANALYZE commands;
