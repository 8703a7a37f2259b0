/** Signs in to the platform API with a local key (Sign-In with Ethereum), for seeding and tests. */
import { createSiweMessage } from "viem/siwe";
import type { PrivateKeyAccount } from "viem/accounts";

export async function signInWithKey(apiUrl: string, account: PrivateKeyAccount, chainId: number): Promise<string> {
  const post = async (path: string, body?: unknown) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body ?? {}),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const { nonce } = (await post("/v1/auth/nonce")) as { nonce: string };
  const url = new URL(apiUrl);
  const message = createSiweMessage({
    domain: url.host,
    address: account.address,
    statement: "Sign in to CarbonClear.",
    uri: url.origin,
    version: "1",
    chainId,
    nonce,
    issuedAt: new Date(),
  });
  const signature = await account.signMessage({ message });
  const { token } = (await post("/v1/auth/verify", { message, signature })) as { token: string };
  return token;
}
