-- Signed sell orders of SettlementEscrow posted to the order book (backend/src/settlement).
-- The signed fields are stored exactly as signed (integers as numeric, addresses and hashes as
-- lower-case hex) so the order can be handed back to a buyer for `fill` / `agree`. What happened
-- to the order on chain (fills, locked trades, cancellation, counter bumps) lives in the indexer's
-- read model (402_settlement_projections.sql); an order's status is derived from both.
CREATE TABLE settlement_orders (
  chain_id bigint NOT NULL,
  escrow text NOT NULL,
  order_hash text NOT NULL,
  seller text NOT NULL,
  batch_id numeric(78,0) NOT NULL,
  quantity numeric(20,0) NOT NULL CHECK (quantity > 0),
  price_per_tonne numeric(39,0) NOT NULL CHECK (price_per_tonne > 0),
  min_fill numeric(20,0) NOT NULL CHECK (min_fill >= 0),
  expiry bigint NOT NULL,
  salt numeric(78,0) NOT NULL,
  counter numeric(20,0) NOT NULL,
  -- designated buyer of a bilateral deal, NULL = anyone
  buyer text,
  mode text NOT NULL CHECK (mode IN ('atomic', 'escrow')),
  signature text NOT NULL,
  posted_by text NOT NULL,
  posted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, order_hash)
);
CREATE INDEX settlement_orders_batch_idx ON settlement_orders (chain_id, batch_id, price_per_tonne);
CREATE INDEX settlement_orders_seller_idx ON settlement_orders (chain_id, seller, counter);
CREATE INDEX settlement_orders_price_idx ON settlement_orders (chain_id, price_per_tonne, order_hash);
