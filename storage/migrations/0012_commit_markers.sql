-- A row per group commit (storage/postgres: BatchTransaction), written in
-- the group's own transaction under a random id. When the connection is
-- lost during a group's COMMIT, the marker's presence on whatever primary
-- answers afterwards says whether the group committed. Its transaction id
-- cannot say it: after a failover the promoted standby hands out again the
-- ids of transactions whose WAL it never received, so a lost group's id can
-- read "committed" there (someone else's transaction).
-- Each connection's next group deletes the marker of its previous, known
-- committed one, so the table holds about one row per open connection;
-- markers left behind (a connection closed, a commit in doubt) are removed
-- by age (commit_markers_forget, run with the message log's upkeep).
CREATE TABLE commit_markers (
  id bigint PRIMARY KEY,
  written_at timestamptz NOT NULL DEFAULT now(),
  -- Written by the in-doubt check itself when the group's marker was absent:
  -- from then on the group can never commit (its insert would conflict).
  fence boolean NOT NULL DEFAULT false
);

CREATE FUNCTION commit_markers_forget(older_than interval) RETURNS integer
LANGUAGE sql AS $$
  WITH gone AS (DELETE FROM commit_markers WHERE written_at < now() - older_than RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;
