-- 403 reconciliation: three-way comparison of registry, chain and read model.
--
-- Open differences are kept (one row per difference key) so that a difference without an
-- intrinsic start time (a wrong read-model balance) still has an age; a difference that is no
-- longer observed is deleted and its incident resolved. Incidents are append-only history.

CREATE TABLE reconciliation_runs (
  id bigserial PRIMARY KEY,
  chain_id bigint NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  head_block bigint NOT NULL,
  indexed_block bigint,
  batches integer NOT NULL,
  differences integer NOT NULL,
  incidents_raised integer NOT NULL,
  -- what could not be compared (registry unreachable, ...): JSON array of strings
  errors jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX reconciliation_runs_chain_idx ON reconciliation_runs (chain_id, id DESC);

CREATE TABLE reconciliation_differences (
  chain_id bigint NOT NULL,
  difference_key text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('ghost_credit', 'orphan_token', 'balance_mismatch', 'stale_read_model')),
  severity text NOT NULL CHECK (severity IN ('critical', 'high', 'warning')),
  message text NOT NULL,
  details jsonb NOT NULL,
  -- when the difference began (intrinsic start, else first observation)
  since timestamptz NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  PRIMARY KEY (chain_id, difference_key)
);

CREATE TABLE reconciliation_incidents (
  id bigserial PRIMARY KEY,
  chain_id bigint NOT NULL,
  difference_key text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('ghost_credit', 'orphan_token', 'balance_mismatch', 'stale_read_model')),
  severity text NOT NULL CHECK (severity IN ('critical', 'high', 'warning')),
  message text NOT NULL,
  details jsonb NOT NULL,
  since timestamptz NOT NULL,
  -- age of the difference when the incident was raised, and the SLA it exceeded
  age_ms bigint NOT NULL,
  sla_ms bigint NOT NULL,
  raised_at timestamptz NOT NULL,
  resolved_at timestamptz
);
-- at most one open incident per difference
CREATE UNIQUE INDEX reconciliation_incidents_open_idx ON reconciliation_incidents (chain_id, difference_key) WHERE resolved_at IS NULL;
CREATE INDEX reconciliation_incidents_chain_idx ON reconciliation_incidents (chain_id, raised_at DESC);
