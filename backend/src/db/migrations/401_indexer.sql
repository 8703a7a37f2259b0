-- 401 indexer: the read model of the on-chain ledger, rebuilt from contract events alone
-- (DESIGN.md invariant 6), and the indexer's own bookkeeping.
--
-- Conventions: every table is keyed by chain_id first; addresses and hashes are lower-case 0x hex
-- text; uint64 values (serials) are numeric(20,0) and uint256 values (ids, amounts) numeric(78,0).
-- Rows written from unfinalized blocks carry block_number/block_hash; a reorg rolls them back:
-- append-only tables by deleting rows above the fork point, mutable tables (marked "mutable")
-- from the snapshots in indexer_undo. Mutable tables must have no generated or identity columns
-- (the rollback re-inserts whole rows).

-- ---------------------------------------------------------------- bookkeeping

-- One active indexer per chain across processes: the holder renews the lease in each write
-- transaction; another process takes over once it has expired.
CREATE TABLE indexer_leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE TABLE indexer_checkpoints (
  chain_id bigint PRIMARY KEY,
  start_block bigint NOT NULL CHECK (start_block >= 0),
  -- last block whose events are all applied; start_block - 1 before the first
  indexed_block bigint NOT NULL,
  indexed_block_hash text,
  -- blocks at or below this were final when indexed: no undo snapshots, no reorg checks
  finalized_block bigint NOT NULL,
  -- the contract and custody addresses this model was built from (a different set needs a rebuild)
  sources jsonb NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Headers of the indexed blocks that were not final yet: what reorg detection compares.
CREATE TABLE indexer_blocks (
  chain_id bigint NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  parent_hash text NOT NULL,
  PRIMARY KEY (chain_id, block_number)
);

-- The state of a mutable row before an unfinalized block first changed it (null: it did not exist).
CREATE TABLE indexer_undo (
  chain_id bigint NOT NULL,
  block_number bigint NOT NULL,
  table_name text NOT NULL,
  -- JSON array of the row's key columns after chain_id
  entity_key text NOT NULL,
  previous jsonb,
  PRIMARY KEY (chain_id, block_number, table_name, entity_key)
);

-- ---------------------------------------------------------------- raw events

-- Every event of the indexed contracts, decoded when its ABI is known.
CREATE TABLE chain_logs (
  chain_id bigint NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  tx_hash text NOT NULL,
  log_index integer NOT NULL,
  address text NOT NULL,
  contract text NOT NULL,
  event_name text,
  -- decoded arguments; integers as decimal strings
  args jsonb,
  topics text[] NOT NULL,
  data text NOT NULL,
  PRIMARY KEY (chain_id, tx_hash, log_index)
);
CREATE INDEX chain_logs_block_idx ON chain_logs (chain_id, block_number, log_index);
CREATE INDEX chain_logs_event_idx ON chain_logs (chain_id, contract, event_name, block_number);

-- ---------------------------------------------------------------- credits

-- mutable: a tokenized registry batch (BatchInfo as created, labels as last updated) and its
-- serial cursors, mirroring CarbonCredit's SerialState.
CREATE TABLE batches (
  chain_id bigint NOT NULL,
  batch_id numeric(78,0) NOT NULL,
  registry text NOT NULL,
  project_id text NOT NULL,
  methodology text NOT NULL,
  serial_scope numeric(20,0) NOT NULL,
  serial_start numeric(20,0) NOT NULL,
  serial_end numeric(20,0) NOT NULL,
  vintage_start integer NOT NULL,
  vintage_end integer NOT NULL,
  country text NOT NULL,
  jurisdiction text,
  labels integer NOT NULL,
  corresponding_adjustment smallint NOT NULL,
  mrv_dataset_id text,
  serial_number text NOT NULL,
  initial_owner text NOT NULL,
  lock_ref text NOT NULL,
  tokenize_attestation text,
  -- serials [next_retire_serial, redeem_floor) are on-chain
  next_retire_serial numeric(20,0) NOT NULL,
  redeem_floor numeric(20,0) NOT NULL,
  -- the one redemption in flight (CarbonCredit allows one per batch)
  pending_redemption_holder text,
  pending_redemption_first numeric(20,0),
  pending_redemption_last numeric(20,0),
  redeemed_confirmed numeric(20,0) NOT NULL DEFAULT 0,
  created_tx text NOT NULL,
  created_block bigint NOT NULL,
  created_at timestamptz NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  PRIMARY KEY (chain_id, batch_id)
);
CREATE INDEX batches_serials_idx ON batches (chain_id, registry, serial_scope, serial_start);

-- mutable: IdentityRegistry transfer rule of a batch.
CREATE TABLE transfer_rules (
  chain_id bigint NOT NULL,
  batch_id numeric(78,0) NOT NULL,
  jurisdiction text,
  entity_type_mask integer NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  PRIMARY KEY (chain_id, batch_id)
);

-- mutable: units of a batch per wallet and state. `available` is held by an ordinary wallet,
-- `reserved` by a custody address (escrow staging); `retired` and `redeemed_*` count the units the
-- wallet burned, by registry status of the redemption.
CREATE TABLE balances (
  chain_id bigint NOT NULL,
  wallet text NOT NULL,
  batch_id numeric(78,0) NOT NULL,
  available numeric(78,0) NOT NULL DEFAULT 0,
  reserved numeric(78,0) NOT NULL DEFAULT 0,
  retired numeric(78,0) NOT NULL DEFAULT 0,
  redeemed_pending numeric(78,0) NOT NULL DEFAULT 0,
  redeemed_confirmed numeric(78,0) NOT NULL DEFAULT 0,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  PRIMARY KEY (chain_id, wallet, batch_id),
  -- a negative amount means an event was missed or applied twice: fail instead of storing it
  CHECK (available >= 0 AND reserved >= 0 AND retired >= 0 AND redeemed_pending >= 0 AND redeemed_confirmed >= 0)
);
CREATE INDEX balances_batch_idx ON balances (chain_id, batch_id);

-- One row per custody change (the custody chain of a batch or serial).
CREATE TABLE custody_events (
  chain_id bigint NOT NULL,
  tx_hash text NOT NULL,
  log_index integer NOT NULL,
  -- position of the id inside an ERC-1155 TransferBatch, else 0
  seq integer NOT NULL DEFAULT 0,
  kind text NOT NULL CHECK (kind IN (
    'tokenized', 'transferred', 'reserved', 'released', 'custody_returned', 'forced_transfer',
    'retired', 'retirement_confirmed', 'retirement_rejected',
    'redemption_requested', 'redemption_confirmed', 'redemption_rejected'
  )),
  batch_id numeric(78,0) NOT NULL,
  from_address text,
  to_address text,
  amount numeric(78,0) NOT NULL,
  first_serial numeric(20,0),
  last_serial numeric(20,0),
  attestation_digest text,
  registry_ref text,
  certificate_id numeric(78,0),
  redemption_id numeric(78,0),
  registry_account text,
  reason text,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  PRIMARY KEY (chain_id, tx_hash, log_index, seq)
);
CREATE INDEX custody_events_batch_idx ON custody_events (chain_id, batch_id, block_number, log_index);
CREATE INDEX custody_events_from_idx ON custody_events (chain_id, from_address, block_number);
CREATE INDEX custody_events_to_idx ON custody_events (chain_id, to_address, block_number);
CREATE INDEX custody_events_block_idx ON custody_events (chain_id, block_number);

-- ---------------------------------------------------------------- retirements and redemptions

-- mutable: RetirementCertificate tokens and their registry status.
CREATE TABLE certificates (
  chain_id bigint NOT NULL,
  certificate_id numeric(78,0) NOT NULL,
  batch_id numeric(78,0) NOT NULL,
  first_serial numeric(20,0) NOT NULL,
  last_serial numeric(20,0),
  owner text NOT NULL,
  locked boolean NOT NULL DEFAULT false,
  registry_status text NOT NULL CHECK (registry_status IN ('pending', 'registry-confirmed', 'registry-rejected')),
  registry_ref text,
  status_attestation text,
  status_tx text,
  status_at timestamptz,
  minted_tx text NOT NULL,
  minted_at timestamptz NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  PRIMARY KEY (chain_id, certificate_id)
);

-- The claim of each retirement, from CarbonCredit's Retired event.
CREATE TABLE retirements (
  chain_id bigint NOT NULL,
  certificate_id numeric(78,0) NOT NULL,
  batch_id numeric(78,0) NOT NULL,
  holder text NOT NULL,
  -- receives the certificate: the claim's beneficiary, or the holder when the claim names none
  beneficiary text NOT NULL,
  beneficiary_name text,
  beneficiary_commitment text,
  reason text NOT NULL,
  period_start integer NOT NULL,
  period_end integer NOT NULL,
  consumption_country text NOT NULL,
  first_serial numeric(20,0) NOT NULL,
  last_serial numeric(20,0) NOT NULL,
  quantity numeric(20,0) NOT NULL,
  -- keccak256(abi.encode(claim)), as stored in the certificate
  details_hash text NOT NULL,
  tx_hash text NOT NULL,
  log_index integer NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  PRIMARY KEY (chain_id, certificate_id)
);
CREATE INDEX retirements_beneficiary_idx ON retirements (chain_id, beneficiary, period_start);
CREATE INDEX retirements_beneficiary_name_idx ON retirements (chain_id, beneficiary_name, period_start);
CREATE INDEX retirements_holder_idx ON retirements (chain_id, holder);
CREATE INDEX retirements_block_idx ON retirements (chain_id, block_number);

-- mutable: RegistryBridge redemption requests and their registry verdict.
CREATE TABLE redemptions (
  chain_id bigint NOT NULL,
  redemption_id numeric(78,0) NOT NULL,
  batch_id numeric(78,0) NOT NULL,
  holder text NOT NULL,
  first_serial numeric(20,0) NOT NULL,
  last_serial numeric(20,0) NOT NULL,
  quantity numeric(20,0) NOT NULL,
  registry_account text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'registry-confirmed', 'registry-rejected')),
  registry_ref text,
  result_attestation text,
  requested_tx text NOT NULL,
  requested_at timestamptz NOT NULL,
  finalized_tx text,
  finalized_at timestamptz,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  PRIMARY KEY (chain_id, redemption_id)
);
CREATE INDEX redemptions_holder_idx ON redemptions (chain_id, holder);

-- ---------------------------------------------------------------- oracle quorum

-- Attestations consumed by OracleQuorum, and what they allowed (set by the consumer's event).
CREATE TABLE attestations (
  chain_id bigint NOT NULL,
  digest text NOT NULL,
  consumer text NOT NULL,
  epoch numeric(20,0) NOT NULL,
  signers text[] NOT NULL,
  purpose text CHECK (purpose IN ('tokenize', 'redemption-result', 'retirement-confirmation')),
  subject text,
  tx_hash text NOT NULL,
  log_index integer NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  PRIMARY KEY (chain_id, digest)
);
CREATE INDEX attestations_tx_idx ON attestations (chain_id, tx_hash);
CREATE INDEX attestations_block_idx ON attestations (chain_id, block_number);

CREATE TABLE signer_sets (
  chain_id bigint NOT NULL,
  epoch numeric(20,0) NOT NULL,
  signers text[] NOT NULL,
  threshold integer NOT NULL,
  tx_hash text NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  PRIMARY KEY (chain_id, epoch)
);
CREATE INDEX signer_sets_block_idx ON signer_sets (chain_id, block_number);

-- ---------------------------------------------------------------- identities and access

-- mutable: IdentityRegistry record of a wallet (status 'None' for a wallet only ever frozen).
CREATE TABLE identities (
  chain_id bigint NOT NULL,
  wallet text NOT NULL,
  status text NOT NULL,
  entity_type text NOT NULL,
  country text,
  kyc_expiry bigint NOT NULL,
  sanctions_cleared boolean NOT NULL,
  registry_accounts_hash text,
  frozen boolean NOT NULL DEFAULT false,
  last_change text NOT NULL,
  last_reason text,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  PRIMARY KEY (chain_id, wallet)
);

-- mutable: freeze periods of wallets (unfrozen_* null while the freeze lasts).
CREATE TABLE freezes (
  chain_id bigint NOT NULL,
  wallet text NOT NULL,
  frozen_tx text NOT NULL,
  frozen_log_index integer NOT NULL,
  frozen_at timestamptz NOT NULL,
  frozen_block bigint NOT NULL,
  reason text NOT NULL,
  unfrozen_tx text,
  unfrozen_at timestamptz,
  unfreeze_reason text,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  PRIMARY KEY (chain_id, wallet, frozen_tx, frozen_log_index)
);

-- mutable: AccessControl role members of the indexed contracts.
CREATE TABLE role_members (
  chain_id bigint NOT NULL,
  contract_address text NOT NULL,
  role text NOT NULL,
  account text NOT NULL,
  granted_by text NOT NULL,
  granted_tx text NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  PRIMARY KEY (chain_id, contract_address, role, account)
);

-- mutable: pause flag of pausable contracts.
CREATE TABLE contract_pause_states (
  chain_id bigint NOT NULL,
  contract_address text NOT NULL,
  paused boolean NOT NULL,
  changed_by text NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  PRIMARY KEY (chain_id, contract_address)
);
