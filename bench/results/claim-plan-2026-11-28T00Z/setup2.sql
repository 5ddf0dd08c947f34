TRUNCATE charge_points CASCADE;
INSERT INTO charge_points (id) SELECT 'P'||g FROM generate_series(1,10000) g;
ANALYZE commands; ANALYZE charge_points;
