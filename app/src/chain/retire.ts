/** Retirement: burns exact serials, mints the certificate; and the certificate's view. */
import { parseEventLogs, stringToHex, zeroHash, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import type { PlatformInfo } from "../platform";
import { carbonCreditAbi, retirementCertificateAbi } from "./contracts";

export interface RetireRequest {
  batchId: bigint;
  quantity: bigint;
  beneficiaryName: string;
  reason: string;
  periodStart: number;
  periodEnd: number;
  consumptionCountry: string;
}

export async function retire(
  client: PublicClient,
  wallet: WalletClient,
  info: PlatformInfo,
  holder: Address,
  r: RetireRequest,
  progress: (step: string) => void,
): Promise<bigint> {
  const claim = {
    beneficiary: holder,
    beneficiaryName: r.beneficiaryName,
    beneficiaryCommitment: zeroHash,
    reason: r.reason,
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    consumptionCountry: stringToHex(r.consumptionCountry, { size: 2 }) as Hex,
  };
  const { request } = await client.simulateContract({
    account: holder,
    address: info.contracts.credit,
    abi: carbonCreditAbi,
    functionName: "retire",
    args: [r.batchId, r.quantity, claim],
  });
  progress("Confirm the retirement in your wallet…");
  const hash = await wallet.writeContract({ ...request, account: holder, chain: wallet.chain });
  progress("Waiting for the retirement to confirm…");
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`The retirement failed on-chain (transaction ${hash}).`);
  const [retired] = parseEventLogs({ abi: carbonCreditAbi, eventName: "Retired", logs: receipt.logs });
  return retired.args.certificateId;
}

export const CERTIFICATE_STATUS = ["none", "pending registry confirmation", "registry-confirmed", "registry-rejected"] as const;

export async function loadCertificate(client: PublicClient, info: PlatformInfo, certificateId: bigint) {
  const view = await client.readContract({
    address: info.contracts.certificate,
    abi: retirementCertificateAbi,
    functionName: "certificate",
    args: [certificateId],
  });
  const [retired] = await client.getContractEvents({
    address: info.contracts.credit,
    abi: carbonCreditAbi,
    eventName: "Retired",
    args: { certificateId },
    fromBlock: 0n,
  });
  const meta = await client.readContract({ address: info.contracts.credit, abi: carbonCreditAbi, functionName: "batchMeta", args: [view.batchId] });
  return { view, claim: retired?.args.claim, retiredAt: retired?.blockNumber, meta };
}
