/**
 * Checks a retirement certificate id against the chain alone (no database): that it exists, who
 * owns it, its serial range and registry status, that its id is `(batchId << 64) | firstSerial`,
 * and that the claim published in the `Retired` event hashes to the details hash the certificate
 * stores (so the claim text shown is the one that was retired against).
 */
import { encodeAbiParameters, keccak256, type AbiParameter, type Address, type Hash, type Hex } from "viem";
import { carbonCreditAbi, retirementCertificateAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployment";
import type { AnyPublicClient } from "../audit/chainReader";
import { bytesText } from "../audit/chainReader";

export const REGISTRY_STATUS_NAMES = ["none", "pending", "registry-confirmed", "registry-rejected"] as const;

export interface VerifiedClaim {
  readonly beneficiary: Address;
  readonly beneficiaryName: string | null;
  readonly beneficiaryCommitment: Hex | null;
  readonly reason: string;
  /** YYYYMMDD. */
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly consumptionCountry: string;
}

export type CertificateVerification =
  | { readonly certificateId: bigint; readonly exists: false; readonly message: string }
  | {
      readonly certificateId: bigint;
      readonly exists: true;
      /** Every check below holds. */
      readonly valid: boolean;
      readonly owner: Address;
      readonly batchId: bigint;
      readonly firstSerial: bigint;
      readonly lastSerial: bigint;
      readonly quantity: bigint;
      readonly status: (typeof REGISTRY_STATUS_NAMES)[number];
      readonly registryRef: Hex | null;
      readonly detailsHash: Hash;
      /** The batch's registry serial block, project and vintage as created on-chain. */
      readonly batch: { readonly registry: string; readonly projectId: string; readonly serialNumber: string; readonly vintageStart: number; readonly vintageEnd: number } | null;
      readonly claim: VerifiedClaim | null;
      readonly retiredTx: Hash | null;
      readonly retiredBlock: bigint | null;
      readonly checks: { readonly idMatchesSerials: boolean; readonly claimMatchesDetailsHash: boolean; readonly nonTransferable: boolean };
      readonly blockNumber: bigint;
    };

const claimParameter = (() => {
  const retired = carbonCreditAbi.find((item) => item.type === "event" && item.name === "Retired");
  const claim = retired?.inputs.find((input) => input.name === "claim");
  if (claim === undefined) throw new Error("the CarbonCredit ABI has no Retired(claim) event");
  return claim as AbiParameter;
})();

export async function verifyCertificate(client: AnyPublicClient, deployment: Deployment, certificateId: bigint): Promise<CertificateVerification> {
  const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
  let view;
  try {
    view = await client.readContract({
      address: deployment.contracts.certificate,
      abi: retirementCertificateAbi,
      functionName: "certificate",
      args: [certificateId],
      blockNumber,
    });
  } catch (error) {
    if (/UnknownCertificate/.test((error as Error).message)) {
      return { certificateId, exists: false, message: `certificate ${certificateId} does not exist on chain ${deployment.chainId}` };
    }
    throw error;
  }
  const locked = await client.readContract({ address: deployment.contracts.certificate, abi: retirementCertificateAbi, functionName: "locked", args: [certificateId], blockNumber });
  const [retired] = await client.getContractEvents({
    address: deployment.contracts.credit,
    abi: carbonCreditAbi,
    eventName: "Retired",
    args: { certificateId },
    fromBlock: 0n,
    toBlock: blockNumber,
  });
  const [created] = await client.getContractEvents({
    address: deployment.contracts.credit,
    abi: carbonCreditAbi,
    eventName: "BatchCreated",
    args: { batchId: view.batchId },
    fromBlock: 0n,
    toBlock: blockNumber,
  });
  const rawClaim = retired?.args.claim;
  const claimHash = rawClaim === undefined ? null : keccak256(encodeAbiParameters([claimParameter], [rawClaim]));
  const claim: VerifiedClaim | null =
    rawClaim === undefined
      ? null
      : {
          beneficiary: rawClaim.beneficiary,
          beneficiaryName: rawClaim.beneficiaryName === "" ? null : rawClaim.beneficiaryName,
          beneficiaryCommitment: /^0x0{64}$/.test(rawClaim.beneficiaryCommitment) ? null : rawClaim.beneficiaryCommitment,
          reason: rawClaim.reason,
          periodStart: rawClaim.periodStart,
          periodEnd: rawClaim.periodEnd,
          consumptionCountry: bytesText(rawClaim.consumptionCountry),
        };
  const checks = {
    idMatchesSerials: certificateId === (view.batchId << 64n) + view.firstSerial,
    claimMatchesDetailsHash: claimHash !== null && claimHash === view.detailsHash,
    nonTransferable: locked,
  };
  const info = created?.args.info;
  return {
    certificateId,
    exists: true,
    valid: checks.idMatchesSerials && checks.claimMatchesDetailsHash && checks.nonTransferable,
    owner: view.owner,
    batchId: view.batchId,
    firstSerial: view.firstSerial,
    lastSerial: view.lastSerial,
    quantity: view.quantity,
    status: REGISTRY_STATUS_NAMES[view.status] ?? "none",
    registryRef: /^0x0{64}$/.test(view.registryRef) ? null : view.registryRef,
    detailsHash: view.detailsHash,
    batch:
      info === undefined
        ? null
        : { registry: bytesText(info.registry), projectId: bytesText(info.projectId), serialNumber: info.serialNumber, vintageStart: info.vintageStart, vintageEnd: info.vintageEnd },
    claim,
    retiredTx: retired?.transactionHash ?? null,
    retiredBlock: retired?.blockNumber ?? null,
    checks,
    blockNumber,
  };
}
