/** The ledger's contract modules, in the order their addresses appear in a deployment. */
import type { IndexedContract } from "../contractModule";
import { carbonCreditModule } from "./carbonCredit";
import { identityRegistryModule } from "./identityRegistry";
import { oracleQuorumModule } from "./oracleQuorum";
import { registryBridgeModule } from "./registryBridge";
import { retirementCertificateModule } from "./retirementCertificate";

/** What the indexer reads by default. A SettlementEscrow module is appended here once it exists. */
export const LEDGER_CONTRACTS: readonly IndexedContract[] = [
  identityRegistryModule,
  oracleQuorumModule,
  carbonCreditModule,
  retirementCertificateModule,
  registryBridgeModule,
];

export { carbonCreditModule, identityRegistryModule, oracleQuorumModule, registryBridgeModule, retirementCertificateModule };
export { accessControlHandlers, pausableHandlers } from "./common";
export { CUSTODY_EVENT_KINDS, ProjectionError } from "./custody";
export type { CustodyEventKind } from "./custody";
