import { useQuery } from "@tanstack/react-query";
import { useSession } from "../session";
import { identityRegistryAbi } from "../chain/contracts";
import { ErrorBox } from "../components/ErrorBox";
import { ApiCallError } from "../api";
import { KeyValues } from "../components/KeyValues";
import { formatTime, shortText } from "../format";

const STATUS = ["not registered", "pending", "verified", "suspended"];

export function Onboarding() {
  const { info, publicClient, address, api, signedIn } = useSession();
  const identity = useQuery({
    queryKey: ["identity", address],
    enabled: address !== undefined,
    queryFn: () =>
      publicClient.readContract({ address: info.contracts.identity, abi: identityRegistryAbi, functionName: "identityOf", args: [address!] }),
  });
  const application = useQuery({
    queryKey: ["onboarding", address],
    enabled: address !== undefined && signedIn,
    queryFn: () => api.get<Record<string, unknown>>("/v1/onboarding/application"),
    retry: false,
  });
  if (address === undefined) return <p>Connect a wallet to see its onboarding status.</p>;
  return (
    <section>
      <h2>Onboarding</h2>
      <h3>On-chain identity claim</h3>
      {identity.isError && <ErrorBox error={identity.error} />}
      {identity.data && (
        <dl data-testid="identity">
          <dt>status</dt><dd>{STATUS[identity.data.status] ?? identity.data.status}</dd>
          <dt>country</dt><dd>{shortText(identity.data.country) || "—"}</dd>
          <dt>KYC valid until</dt><dd>{identity.data.kycExpiry === 0n ? "—" : formatTime(identity.data.kycExpiry)}</dd>
          <dt>sanctions cleared</dt><dd>{identity.data.sanctionsCleared ? "yes" : "no"}</dd>
        </dl>
      )}
      <h3>My application and documents</h3>
      {!signedIn && <p>Sign in to see your application, documents and what is missing.</p>}
      {application.isError &&
        (application.error instanceof ApiCallError && application.error.status === 404 ? (
          <p data-testid="no-application">
            You have not applied yet. Missing: an application (individual or organisation), identity documents, sanctions screening and
            your registry-account links; compliance writes your on-chain identity claim once these are approved.
          </p>
        ) : (
          <ErrorBox error={application.error} />
        ))}
      {application.data && <KeyValues value={application.data} />}
    </section>
  );
}
