/**
 * The registry accounts a wallet's on-chain identity commits to: the `registryAccounts` of its
 * latest confirmed `set_identity` chain write (see `OnboardingService.approve`), i.e. the
 * preimage of `IdentityRegistry.registryAccountsHashOf(wallet)` as the platform wrote it.
 */
import type { Address } from "viem";
import { z } from "zod";
import type { Queryable } from "../../db";

const storedAccountsSchema = z.array(z.string().min(1));

/**
 * `REGISTRY:accountId` of every registry account of `wallet`'s latest confirmed identity write,
 * or null when the platform never confirmed one for it.
 * @throws Error when the stored payload is not a list of strings (a corrupt row, not a caller error).
 */
export async function registryAccountsOfWallet(db: Queryable, wallet: Address): Promise<string[] | null> {
  const { rows } = await db.query<{ id: string; accounts: unknown }>(
    `SELECT id::text AS id, payload -> 'registryAccounts' AS accounts
       FROM onboarding_chain_writes
      WHERE wallet_address = $1 AND action = 'set_identity' AND status = 'confirmed'
      ORDER BY id DESC
      LIMIT 1`,
    [wallet.toLowerCase()],
  );
  if (rows.length === 0) return null;
  const parsed = storedAccountsSchema.safeParse(rows[0].accounts);
  if (!parsed.success) throw new Error(`identity write ${rows[0].id} of ${wallet.toLowerCase()} stores no list of registry accounts: ${parsed.error.message}`);
  return parsed.data;
}
