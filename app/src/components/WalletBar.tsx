/** Connect a wallet (injected, or the demo's development wallet), sign in with Ethereum, sign out. */
import { useConnect, useConnection, useConnectors, useDisconnect } from "wagmi";
import { useSession } from "../session";
import { useTransaction } from "../useTransaction";
import { TxStatus } from "./TxStatus";
import { DEV_WALLET_LABEL } from "../wallet/wagmi";
import { shortAddress } from "../format";

export function WalletBar() {
  const { address, signedIn, roles, signIn, signOut } = useSession();
  const { isConnected, connector } = useConnection();
  const connectors = useConnectors();
  const { connect, error: connectError } = useConnect();
  const { disconnect } = useDisconnect();
  const tx = useTransaction();
  if (!isConnected || address === undefined) {
    const injectedAvailable = typeof window !== "undefined" && (window as { ethereum?: unknown }).ethereum !== undefined;
    return (
      <div className="wallet">
        {connectors.map((c) => {
          const dev = c.id.startsWith("dev-wallet-");
          if (!dev && !injectedAvailable) return null;
          return (
            <button key={c.uid} className={dev ? "dev" : ""} onClick={() => connect({ connector: c })}>
              {dev ? c.name : "Connect browser wallet"}
            </button>
          );
        })}
        {!injectedAvailable && <span className="muted">No browser wallet found.</span>}
        {connectError && <p className="error">{connectError.message}</p>}
      </div>
    );
  }
  return (
    <div className="wallet">
      {connector?.id.startsWith("dev-wallet-") && <strong className="dev-label">⚠ {DEV_WALLET_LABEL}</strong>}
      <span title={address} data-testid="connected-address">{shortAddress(address)}</span>
      {signedIn ? (
        <>
          <span className="ok" data-testid="signed-in">signed in{roles.length > 0 ? ` (${roles.join(", ")})` : ""}</span>
          <button onClick={() => tx.run(async () => { await signOut(); return "Signed out."; })}>Sign out</button>
        </>
      ) : (
        <button onClick={() => tx.run(async (p) => { p("Sign the message in your wallet…"); await signIn(); return "Signed in."; })}>
          Sign in with Ethereum
        </button>
      )}
      <button onClick={() => disconnect()}>Disconnect</button>
      <TxStatus state={tx.state} />
    </div>
  );
}
