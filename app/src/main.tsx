import { StrictMode, useEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { loadPlatformInfo, type PlatformInfo } from "./platform";
import { createWagmiConfig } from "./wallet/wagmi";
import { SessionProvider } from "./session";
import { App } from "./App";
import "./styles.css";

function Root() {
  const [info, setInfo] = useState<PlatformInfo>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    loadPlatformInfo().then(setInfo, (err: Error) => setError(err.message));
  }, []);
  const wagmi = useMemo(() => (info === undefined ? undefined : createWagmiConfig(info)), [info]);
  const queryClient = useMemo(() => new QueryClient({ defaultOptions: { queries: { retry: 1 } } }), []);
  if (error !== undefined) return <p className="error">{error}</p>;
  if (info === undefined || wagmi === undefined) return <p className="pending">Connecting to the platform…</p>;
  return (
    <WagmiProvider config={wagmi}>
      <QueryClientProvider client={queryClient}>
        <SessionProvider info={info}>
          <App />
        </SessionProvider>
      </QueryClientProvider>
    </WagmiProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
