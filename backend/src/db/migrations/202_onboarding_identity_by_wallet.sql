-- Oracle nodes look up the registry accounts of a wallet's latest confirmed identity write (the
-- preimage of IdentityRegistry.registryAccountsHashOf) for every escrow trade they confirm.
CREATE INDEX onboarding_chain_writes_confirmed_identity_idx
  ON onboarding_chain_writes (wallet_address, id DESC)
  WHERE action = 'set_identity' AND status = 'confirmed';
