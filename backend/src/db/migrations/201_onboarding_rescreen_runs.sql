-- 201 onboarding: a list update's obligation to re-screen every approved counterparty is written in
-- the transaction that stores the new list version, so a crash part-way through loses nothing: a
-- run without completed_at is resumed, and the screenings it already recorded are not repeated.
CREATE TABLE onboarding_rescreen_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  list_id text NOT NULL,
  list_version text NOT NULL,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  -- counterparties screened by this run, and those with a new possible match
  rescreened integer NOT NULL DEFAULT 0 CHECK (rescreened >= 0),
  new_hits jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(new_hits) = 'array')
);
CREATE INDEX onboarding_rescreen_runs_pending_idx ON onboarding_rescreen_runs (id) WHERE completed_at IS NULL;

-- The run a list_update screening belongs to: at most one screening per counterparty and run.
ALTER TABLE onboarding_screenings ADD COLUMN rescreen_run_id bigint REFERENCES onboarding_rescreen_runs (id);
CREATE UNIQUE INDEX onboarding_screenings_run_idx ON onboarding_screenings (rescreen_run_id, applicant_id) WHERE rescreen_run_id IS NOT NULL;
