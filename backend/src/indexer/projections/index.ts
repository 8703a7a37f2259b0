/** The ledger's contract modules, in the order their addresses appear in a deployment. */
import type { IndexedContract } from "../contractModule";
import { carbonCreditModule } from "./carbonCredit";
import { identityRegistryModule } from "./identityRegistry";
import { oracleQuorumModule } from "./oracleQuorum";
import { registryBridgeModule } from "./registryBridge";
import { retirementCertificateModule } from "./retirementCertificate";
import { settlementEscrowModule } from "./settlementEscrow";

/** What the indexer reads by default. */
export const LEDGER_CONTRACTS: readonly IndexedContract[] = [
  identityRegistryModule,
  oracleQuorumModule,
  carbonCreditModule,
  retirementCertificateModule,
  registryBridgeModule,
  settlementEscrowModule,
];

export {
  carbonCreditModule,
  identityRegistryModule,
  oracleQuorumModule,
  registryBridgeModule,
  retirementCertificateModule,
  settlementEscrowModule,
};
export { accessControlHandlers, pausableHandlers } from "./common";
export { CUSTODY_EVENT_KINDS, ProjectionError } from "./custody";
export type { CustodyEventKind } from "./custody";
