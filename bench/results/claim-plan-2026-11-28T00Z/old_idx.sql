DROP INDEX IF EXISTS commands_sent_by_charge_point; DROP INDEX IF EXISTS commands_ended_by_status;
CREATE INDEX IF NOT EXISTS commands_queued_by_expiry ON commands (expires_at) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS commands_sent_by_time ON commands (sent_at) WHERE status = 'sent';
CREATE INDEX IF NOT EXISTS commands_by_status ON commands (status, id);
