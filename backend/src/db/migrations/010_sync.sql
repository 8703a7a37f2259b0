-- Registry synchronisation (backend/src/sync): webhook events as received, the registry operations
-- to carry to the chain with their progress, and the change-feed cursor of polling reconciliation.

CREATE TABLE sync_webhook_events (
  webhook_id   text PRIMARY KEY,
  source       text NOT NULL,
  event_type   text NOT NULL,
  payload      jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_operations (
  registry              text NOT NULL,
  operation_id          text NOT NULL,
  state                 text NOT NULL DEFAULT 'queued'
                        CHECK (state IN ('queued', 'applied', 'already-done', 'refused', 'failed')),
  -- how the platform first heard of it: 'webhook' or 'poll'
  source                text NOT NULL CHECK (source IN ('webhook', 'poll')),
  -- when the registry confirmed (processed) the operation, from the event
  registry_confirmed_at timestamptz NOT NULL,
  first_seen_at         timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  applied_at            timestamptz,
  attempts              integer NOT NULL DEFAULT 0,
  kind                  text,
  transaction_hash      text,
  last_error            text,
  PRIMARY KEY (registry, operation_id)
);

CREATE INDEX sync_operations_open ON sync_operations (updated_at) WHERE state = 'queued';

CREATE TABLE sync_cursors (
  feed        text PRIMARY KEY,
  cursor      bigint NOT NULL CHECK (cursor >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
