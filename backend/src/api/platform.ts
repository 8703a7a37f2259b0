/**
 * The platform's API: every capability's module, assembled from shared dependencies. Add one line
 * per capability to {@link platformApiModules}.
 */
import type pg from "pg";
import type { Logger } from "pino";
import type { PublicClient } from "viem";
import type { Config } from "../config";
import type { Deployment } from "../chain/deployment";
import { createApiApp } from "./app";
import { authApi } from "./auth/api";
import { mrvApi } from "../mrv/api";
import { onboardingApi, onboardingServiceFor } from "../onboarding/api";
import { grantRole } from "./auth/store";
import type { ApiModule } from "./route";
import { startHttpServer, type RunningServer } from "./server";
import { settlementApi } from "../settlement/api";
import { syncApi } from "../sync/api";
import { WEBHOOK_SOURCE } from "../sync/intake";
import type { OperationRef } from "../sync/operations";
import { custodyApi } from "../custody/api";
import { registryAdaptersFor } from "../custody/registryView";
import { reconciliationApi } from "../reconciliation/api";
import { reportsApi } from "../reports/api";

export interface PlatformApiDeps {
  readonly pool: pg.Pool;
  readonly config: Config;
  readonly logger: Logger;
  /** Chain access; modules that read the chain are left out without it. */
  readonly publicClient?: PublicClient;
  readonly deployment?: Deployment;
  /** Base URL of the registry (simulator) API. */
  readonly registryUrl?: string;
  /** Extra `host[:port]` sign-in domains beyond the configured ones (e.g. an ephemeral dApp port). */
  readonly extraSiweDomains?: readonly string[];
  /** Hands registry operations from webhooks to the sync pipeline (`startSyncPlatform(...).pipeline.enqueue`); without it the sync worker's sweep picks them up. */
  readonly syncEnqueue?: (operations: readonly OperationRef[]) => Promise<void>;
}

export function platformApiModules(deps: PlatformApiDeps): ApiModule[] {
  const modules: ApiModule[] = [
    authApi({
      pool: deps.pool,
      domains: [...deps.config.siweDomains, ...(deps.extraSiweDomains ?? [])],
      chainId: deps.config.chainId,
      sessionTtlSeconds: deps.config.sessionTtlSeconds,
      nonceTtlSeconds: 600,
      publicClient: deps.publicClient,
    }),
    onboardingApi({ pool: deps.pool, config: deps.config, publicClient: deps.publicClient, deployment: deps.deployment, registryUrl: deps.registryUrl }),
  ];
  modules.push(mrvApi({ pool: deps.pool }));
  if (deps.publicClient !== undefined && deps.deployment?.contracts.escrow !== undefined) modules.push(settlementApi({ pool: deps.pool, publicClient: deps.publicClient, deployment: deps.deployment }));
  if (deps.config.webhookSecret !== undefined) {
    modules.push(syncApi({ pool: deps.pool, sources: [{ name: WEBHOOK_SOURCE, secret: deps.config.webhookSecret.reveal() }], enqueue: deps.syncEnqueue }));
  }
  modules.push(custodyApi({ pool: deps.pool, chainId: deps.deployment?.chainId ?? deps.config.chainId, registries: deps.registryUrl === undefined ? undefined : registryAdaptersFor(deps.registryUrl) }));
  modules.push(reconciliationApi({ pool: deps.pool, chainId: deps.deployment?.chainId ?? deps.config.chainId }));
  modules.push(reportsApi({ pool: deps.pool, chainId: deps.deployment?.chainId ?? deps.config.chainId, publicClient: deps.publicClient, deployment: deps.deployment }));
  return modules;
}

/**
 * Grants the configured admin wallets their role, builds the app from every platform module and
 * serves it on the configured host and port (or `port` when given; 0 = any free port).
 */
export async function startPlatformApi(
  deps: PlatformApiDeps & { readonly port?: number; readonly staticDir?: string; readonly modules?: readonly ApiModule[] },
): Promise<RunningServer> {
  for (const admin of deps.config.adminAddresses) await grantRole(deps.pool, admin, "admin", "config:ADMIN_ADDRESSES");
  const app = createApiApp({
    pool: deps.pool,
    logger: deps.logger,
    modules: [...platformApiModules(deps), ...(deps.modules ?? [])],
    corsOrigins: deps.config.corsOrigins,
    staticDir: deps.staticDir,
  });
  const server = await startHttpServer(app, { host: deps.config.apiHost, port: deps.port ?? deps.config.apiPort });
  // A list update whose re-screening a crash interrupted is finished now, in the background.
  onboardingServiceFor(deps)
    .resumeRescreens("service:startup")
    .then((runs) => {
      if (runs.length > 0) deps.logger.info({ runs }, "resumed interrupted sanctions re-screening runs");
    })
    .catch((error: unknown) => deps.logger.error({ err: error }, "could not resume interrupted sanctions re-screening runs"));
  return server;
}
