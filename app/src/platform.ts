/**
 * What the dApp needs to know about the platform it runs against, served by the platform API at
 * `GET /v1/platform` (same origin as the dApp): chain, contract addresses and, in the demo only,
 * the development wallet's keys.
 */
import { z } from "zod";
import { getAddress, type Address, type Hex } from "viem";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/).transform((a) => getAddress(a) as Address);

export const platformInfoSchema = z.object({
  chainId: z.number().int().positive(),
  /** JSON-RPC endpoint the browser reads the chain from. */
  rpcUrl: z.string().url(),
  contracts: z.object({
    identity: address,
    quorum: address,
    credit: address,
    certificate: address,
    bridge: address,
    escrow: address,
    stablecoin: address,
    /** MRVRegistry, when deployed. */
    mrv: address.optional(),
  }),
  /** Present only on a demo platform: well-known development keys, never real funds. */
  devWallet: z
    .object({
      accounts: z.array(z.object({ label: z.string(), privateKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/) as z.ZodType<Hex> })),
    })
    .optional(),
});

export type PlatformInfo = z.infer<typeof platformInfoSchema>;

export async function loadPlatformInfo(fetcher: typeof fetch = fetch): Promise<PlatformInfo> {
  const response = await fetcher("/v1/platform");
  if (!response.ok) throw new Error(`the platform did not describe itself (GET /v1/platform answered ${response.status})`);
  const parsed = platformInfoSchema.safeParse(await response.json());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`the platform description is invalid at ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}
