DROP INDEX IF EXISTS commands_queued_by_expiry; DROP INDEX IF EXISTS commands_sent_by_time; DROP INDEX IF EXISTS commands_by_status;
CREATE UNIQUE INDEX IF NOT EXISTS commands_sent_by_charge_point ON commands (charge_point_id) WHERE status = 'sent';
CREATE INDEX IF NOT EXISTS commands_ended_by_status ON commands (status, id) WHERE status NOT IN ('queued', 'sent');
