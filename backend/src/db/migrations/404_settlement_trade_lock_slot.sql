-- SettlementEscrow locks each trade in one of the buyer's lock slots (a freed slot is reused, so a
-- repeat buyer's lock does not write a fresh storage slot); the slot is part of the Trade struct
-- that `release` and `refund` take back. NULL for trades of an escrow without lock slots.
ALTER TABLE settlement_trades ADD COLUMN lock_slot bigint CHECK (lock_slot >= 0 AND lock_slot < 4294967296);
