import { useEffect, useState } from "react";
import { WalletBar } from "./components/WalletBar";
import { Onboarding } from "./pages/Onboarding";
import { Portfolio } from "./pages/Portfolio";
import { Market } from "./pages/Market";
import { Trades } from "./pages/Trades";
import { Retire } from "./pages/Retire";
import { Certificate } from "./pages/Certificate";
import { Audit } from "./pages/Audit";

const PAGES = ["portfolio", "market", "trades", "retire", "onboarding", "audit"] as const;

/** `#/market`, `#/certificate/123`: a hash route keeps the dApp a static bundle. */
function useHashRoute(): [string[], (path: string) => void] {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return [route, (path) => (window.location.hash = `#/${path}`)];
}

export function App() {
  const [route, go] = useHashRoute();
  const [page = "portfolio", arg] = route;
  return (
    <>
      <header>
        <h1>CarbonClear</h1>
        <nav>
          {PAGES.map((p) => (
            <a key={p} href={`#/${p}`} className={p === page ? "active" : ""}>{p}</a>
          ))}
        </nav>
        <WalletBar />
      </header>
      <main>
        {page === "portfolio" && <Portfolio />}
        {page === "market" && <Market />}
        {page === "trades" && <Trades />}
        {page === "retire" && <Retire onRetired={(id) => go(`certificate/${id}`)} />}
        {page === "certificate" && arg !== undefined && /^\d+$/.test(arg) && <Certificate certificateId={BigInt(arg)} />}
        {page === "certificate" && (arg === undefined || !/^\d+$/.test(arg)) && <p className="error">A certificate id is a number, e.g. #/certificate/42.</p>}
        {page === "onboarding" && <Onboarding />}
        {page === "audit" && <Audit />}
        {![...PAGES, "certificate"].includes(page) && <p className="error">There is no page “{page}”.</p>}
      </main>
    </>
  );
}
