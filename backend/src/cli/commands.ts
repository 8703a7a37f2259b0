/** Every capability's subcommands, in the order `carbonclear --help` lists them. Add one line per capability. */
import { registerMrvCommands } from "../mrv/cli";
import type { RegisterCommands } from "./command";
import { registerRoleCommands } from "./roles";
import { registerSettlementCommands } from "../settlement/cli";
import { registerOnboardingCommands } from "../onboarding/cli";
import { registerCustodyCommands } from "../custody/cli";
import { registerReconciliationCommands } from "../reconciliation/cli";
import { registerAuditCommands } from "../audit/cli";
import { registerReportCommands } from "../reports/cli";

export const PLATFORM_COMMANDS: readonly RegisterCommands[] = [
  registerRoleCommands,
  registerSettlementCommands,
  registerOnboardingCommands,
  registerCustodyCommands,
  registerReconciliationCommands,
  registerAuditCommands,
  registerReportCommands,
  registerMrvCommands,
];
