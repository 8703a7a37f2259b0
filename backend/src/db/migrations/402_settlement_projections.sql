-- Read model of SettlementEscrow (projection backend/src/indexer/projections/settlementEscrow.ts).
-- Every table is append-only: a row never changes after its block (apart from annotations written
-- by a later log of the same transaction), so a reorg rollback deletes rows at or above the fork
-- block. A trade's status and an order's filled quantity are derived from these rows.

-- One atomic fill (OrderFilled), with the retirement of a buy-and-retire (PurchaseRetired).
CREATE TABLE settlement_fills (
  chain_id bigint NOT NULL,
  tx_hash text NOT NULL,
  log_index integer NOT NULL,
  escrow text NOT NULL,
  order_hash text NOT NULL,
  seller text NOT NULL,
  buyer text NOT NULL,
  batch_id numeric(78,0) NOT NULL,
  quantity numeric(20,0) NOT NULL CHECK (quantity > 0),
  amount numeric(78,0) NOT NULL CHECK (amount >= 0),
  fee numeric(78,0) NOT NULL CHECK (fee >= 0 AND fee <= amount),
  certificate_id numeric(78,0),
  beneficiary text,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  PRIMARY KEY (chain_id, tx_hash, log_index)
);
CREATE INDEX settlement_fills_order_idx ON settlement_fills (chain_id, order_hash);
CREATE INDEX settlement_fills_buyer_idx ON settlement_fills (chain_id, buyer, block_number);
CREATE INDEX settlement_fills_seller_idx ON settlement_fills (chain_id, seller, block_number);
CREATE INDEX settlement_fills_block_idx ON settlement_fills (chain_id, block_number);

-- One escrow-mode trade as locked (TradeLocked): the exact Trade struct release/refund need.
CREATE TABLE settlement_trades (
  chain_id bigint NOT NULL,
  trade_id text NOT NULL,
  escrow text NOT NULL,
  order_hash text NOT NULL,
  seller text NOT NULL,
  buyer text NOT NULL,
  batch_id numeric(78,0) NOT NULL,
  quantity numeric(20,0) NOT NULL CHECK (quantity > 0),
  order_offset numeric(20,0) NOT NULL,
  release_deadline bigint NOT NULL,
  amount numeric(78,0) NOT NULL CHECK (amount >= 0),
  fee numeric(78,0) NOT NULL CHECK (fee >= 0 AND fee <= amount),
  tx_hash text NOT NULL,
  log_index integer NOT NULL,
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  PRIMARY KEY (chain_id, trade_id)
);
CREATE INDEX settlement_trades_order_idx ON settlement_trades (chain_id, order_hash);
CREATE INDEX settlement_trades_buyer_idx ON settlement_trades (chain_id, buyer, block_number);
CREATE INDEX settlement_trades_seller_idx ON settlement_trades (chain_id, seller, block_number);
CREATE INDEX settlement_trades_block_idx ON settlement_trades (chain_id, block_number);

-- Every transition of an escrow trade, in chain order. TradeLocked gives 'agreed' (seq 0) and
-- 'locked' (seq 1); TradeReleased gives 'confirmed' (the quorum attestation, seq 0) and
-- 'released' (seq 1); TradeRefunded 'refunded'; PaymentDeferred 'payment_deferred'.
CREATE TABLE settlement_trade_events (
  chain_id bigint NOT NULL,
  tx_hash text NOT NULL,
  log_index integer NOT NULL,
  seq integer NOT NULL DEFAULT 0,
  trade_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('agreed', 'locked', 'confirmed', 'released', 'refunded', 'payment_deferred')),
  -- the registry's delivery reference and the attestation digest (confirmed), fee receiver (released),
  -- caller (refunded), account and amount (payment_deferred)
  registry_ref text,
  attestation_digest text,
  account text,
  amount numeric(78,0),
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  PRIMARY KEY (chain_id, tx_hash, log_index, seq)
);
CREATE INDEX settlement_trade_events_trade_idx ON settlement_trade_events (chain_id, trade_id, block_number, log_index, seq);
CREATE INDEX settlement_trade_events_block_idx ON settlement_trade_events (chain_id, block_number);

-- Maker actions: one order cancelled, or every order below a counter voided.
CREATE TABLE settlement_maker_events (
  chain_id bigint NOT NULL,
  tx_hash text NOT NULL,
  log_index integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('cancelled', 'counter_incremented')),
  seller text NOT NULL,
  order_hash text,
  counter numeric(20,0),
  block_number bigint NOT NULL,
  block_hash text NOT NULL,
  block_time timestamptz NOT NULL,
  PRIMARY KEY (chain_id, tx_hash, log_index),
  CHECK ((kind = 'cancelled') = (order_hash IS NOT NULL)),
  CHECK ((kind = 'counter_incremented') = (counter IS NOT NULL))
);
CREATE INDEX settlement_maker_events_order_idx ON settlement_maker_events (chain_id, order_hash);
CREATE INDEX settlement_maker_events_seller_idx ON settlement_maker_events (chain_id, seller, block_number);
CREATE INDEX settlement_maker_events_block_idx ON settlement_maker_events (chain_id, block_number);
