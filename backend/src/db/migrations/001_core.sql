-- 001 core: the append-only audit log every capability writes to.
-- Runs on PostgreSQL 15 and PGlite (PostgreSQL 18); objects are not schema-qualified.

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- who acted: a user id, a wallet address, or a service name such as 'oracle-node-1'
  actor text NOT NULL CHECK (actor <> ''),
  -- what happened, dotted lower case, e.g. 'registry.lock.submitted'
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
  -- what it happened to, e.g. 'batch:12' or a registry serial number
  subject text NOT NULL CHECK (subject <> ''),
  details jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object')
);

CREATE INDEX audit_log_subject_idx ON audit_log (subject, id);
CREATE INDEX audit_log_action_at_idx ON audit_log (action, at);

CREATE FUNCTION audit_log_forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_forbid_change();

CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_forbid_change();
