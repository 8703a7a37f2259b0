/**
 * Service configuration: the ONLY module that reads the environment (DESIGN.md, "Layers of the
 * backend"). Everything else receives a `Config` (or the part of it it needs) as an argument.
 *
 * Environment variables (an empty value counts as unset):
 *
 * | variable                     | field            | default                                  |
 * |------------------------------|------------------|------------------------------------------|
 * | DATABASE_URL                 | databaseUrl      | unset: embedded PGlite                   |
 * | DATABASE_POOL_MAX            | databasePoolMax  | 10 (ignored for embedded PGlite: 1)      |
 * | CARBONCLEAR_DATA_DIR         | dataDir          | `.data`                                  |
 * | CARBONCLEAR_PGLITE_IN_MEMORY | pgliteInMemory   | false (PGlite keeps its data in dataDir) |
 * | RPC_URL                      | rpcUrl           | unset: in-process Hardhat network        |
 * | CHAIN_ID                     | chainId          | 31337 (Hardhat)                          |
 * | CARBONCLEAR_DEPLOYMENT_FILE  | deploymentFile   | `<dataDir>/deployments/<chainId>.json`   |
 * | API_PORT                     | apiPort          | 8080                                     |
 * | REGISTRY_SIM_URL             | registrySimUrl   | unset                                    |
 * | WEBHOOK_SECRET               | webhookSecret    | unset (`whsec_<base64>`, Standard Webhooks) |
 * | ORACLE_KEY                   | oracleKey        | unset (32-byte hex private key)          |
 * | DEPLOYER_KEY                 | deployerKey      | unset (32-byte hex key; `npm run deploy` with RPC_URL) |
 * | DEPLOY_ROLES_FILE            | deployRolesFile  | unset: every role is the deployer (dev only) |
 * | COMPLIANCE_KEY               | complianceKey    | unset (32-byte hex private key holding IdentityRegistry's COMPLIANCE_ROLE) |
 * | SCREENING_THRESHOLD          | screeningThreshold | 0.7 (sanctions match score, 0..1)      |
 * | LOG_LEVEL                    | logLevel         | `info`                                   |
 * | API_HOST                     | apiHost          | `127.0.0.1`                              |
 * | SIWE_DOMAINS                 | siweDomains      | `localhost:<API_PORT>,127.0.0.1:<API_PORT>` (comma-separated host[:port] the dApp is served from) |
 * | SESSION_TTL_SECONDS          | sessionTtlSeconds| 43200 (12 h)                             |
 * | ADMIN_ADDRESSES              | adminAddresses   | none (comma-separated wallets granted the admin role at start) |
 * | CORS_ORIGINS                 | corsOrigins      | none (comma-separated origins allowed to call the API from a browser) |
 * | ORACLE_PORT                  | oraclePort       | 4100 (`npm run oracle:node`: this node's HTTP port) |
 * | ORACLE_HOST                  | oracleHost       | `127.0.0.1`                              |
 * | PLATFORM_API_URL             | platformApiUrl   | unset (`npm run oracle:node`: the platform API the node asks for trade parties' registry accounts; unset = it refuses escrow trade confirmations) |
 * | ORACLE_NODE_URLS             | oracleNodeUrls   | none (comma-separated oracle node URLs the sync worker asks) |
 * | SUBMITTER_KEY                | submitterKey     | unset (32-byte hex key that relays attestations on-chain; needs gas, no role) |
 * | SYNC_PORT                    | syncPort         | 4200 (sync worker: webhook intake and `/metrics`) |
 * | SYNC_RECONCILE_INTERVAL_MS   | syncReconcileIntervalMs | 5000 (change-feed polling period)   |
 * | TEST_DATABASE_URL            | testDatabaseUrl  | unset: tests use in-memory PGlite        |
 *
 * Secrets (`webhookSecret`, `oracleKey`, `deployerKey`, `complianceKey`, `submitterKey`) are wrapped in {@link Secret}, which prints as
 * `[redacted]` in logs, JSON and `util.inspect`; `reveal()` hands out the value where it is used.
 * URLs may carry passwords: log {@link describeConfig} instead of the config itself.
 */
import path from "node:path";
import { inspect } from "node:util";
import { z } from "zod";

/** A secret value that never prints itself. */
export class Secret<T extends string = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The secret itself; call it only where the value is consumed, never to log it. */
  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return "[redacted]";
  }

  toJSON(): string {
    return "[redacted]";
  }

  [inspect.custom](): string {
    return "[redacted]";
  }
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Hex32 = `0x${string}`;

export interface Config {
  /** PostgreSQL connection string; when absent the service runs an embedded PGlite. */
  readonly databaseUrl?: string;
  /** Size of the application pool on a real PostgreSQL server. */
  readonly databasePoolMax: number;
  /** Folder for local state (PGlite data, deployment files). */
  readonly dataDir: string;
  /** Embedded PGlite without a data folder (everything is lost on exit). */
  readonly pgliteInMemory: boolean;
  /** JSON-RPC endpoint of the chain; when absent the service runs an in-process Hardhat network. */
  readonly rpcUrl?: string;
  readonly chainId: number;
  /** JSON file with the deployed contract addresses. */
  readonly deploymentFile: string;
  readonly apiPort: number;
  /** Base URL of the registry simulator. */
  readonly registrySimUrl?: string;
  /** Standard Webhooks signing secret (`whsec_<base64>`) for registry webhooks. */
  readonly webhookSecret?: Secret;
  /** This node's oracle signing key (0x + 64 hex digits, lower case). */
  readonly oracleKey?: Secret<Hex32>;
  /** Key that sends the deployment transactions of `scripts/deploy.ts` on an RPC_URL network. */
  readonly deployerKey?: Secret<Hex32>;
  /** JSON file naming the deployment's roles (admin, compliance, pauser, oracle signers, ...). */
  readonly deployRolesFile?: string;
  /** The compliance service's signing key: writes and freezes identities on the IdentityRegistry. */
  readonly complianceKey?: Secret<Hex32>;
  /** Minimum sanctions match score that sends an applicant to manual review. */
  readonly screeningThreshold: number;
  readonly logLevel: LogLevel;
  /** Interface the API listens on. */
  readonly apiHost: string;
  /** `host[:port]` values accepted as the domain of a Sign-In with Ethereum message. */
  readonly siweDomains: readonly string[];
  readonly sessionTtlSeconds: number;
  /** Wallets (lower-case 0x addresses) granted the admin role when the API starts. */
  readonly adminAddresses: readonly `0x${string}`[];
  /** Browser origins allowed to call the API (CORS). */
  readonly corsOrigins: readonly string[];
  /** HTTP port and interface of an oracle node process. */
  readonly oraclePort: number;
  readonly oracleHost: string;
  /**
   * The platform API an oracle node process reads wallets' registry accounts from
   * (`GET /v1/wallets/:address/registry-accounts`); the node checks each answer against the chain.
   */
  readonly platformApiUrl?: string;
  /** Oracle nodes the sync worker collects signatures from. */
  readonly oracleNodeUrls: readonly string[];
  /** Key that relays attestations on-chain (any funded key; no role needed). */
  readonly submitterKey?: Secret<Hex32>;
  /** Sync worker HTTP port (webhook intake, `/metrics`). */
  readonly syncPort: number;
  readonly syncReconcileIntervalMs: number;
  /** PostgreSQL server for integration tests (CI sets it); tests use PGlite when absent. */
  readonly testDatabaseUrl?: string;
}

/** Thrown by {@link loadConfig}; `issues` names each bad variable. */
export class ConfigError extends Error {
  readonly issues: readonly { variable: string; message: string }[];

  constructor(issues: readonly { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

const unset = (value: unknown): unknown => (typeof value === "string" && value.trim() === "" ? undefined : value);

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => /^postgres(ql)?:\/\/[^\s]+$/.test(v) && URL.canParse(v), {
    message: "must be a postgres:// or postgresql:// URL",
  });

const httpUrl = z
  .string()
  .trim()
  .refine((v) => URL.canParse(v) && ["http:", "https:"].includes(new URL(v).protocol), {
    message: "must be an http:// or https:// URL",
  })
  .transform((v) => v.replace(/\/+$/, ""));

const integerIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: "must be a whole number" })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ["1", "0", "true", "false", "yes", "no"].includes(v), {
    message: "must be one of true, false, 1, 0, yes, no",
  })
  .transform((v) => v === "1" || v === "true" || v === "yes");

const privateKey = z
  .string()
  .trim()
  .regex(/^(0x)?[0-9a-fA-F]{64}$/, { message: "must be a 32-byte hex private key (64 hex digits, optional 0x)" })
  .transform((v) => `0x${v.replace(/^0x/, "").toLowerCase()}` as Hex32)
  .refine((v) => BigInt(v) !== 0n, { message: "must not be zero" });

const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((v) => v.split(",").map((part) => part.trim()).filter((part) => part !== ""))
    .pipe(z.array(item));

const envSchema = z.object({
  DATABASE_URL: z.preprocess(unset, postgresUrl.optional()),
  DATABASE_POOL_MAX: z.preprocess(unset, integerIn(1, 1000).default(10)),
  CARBONCLEAR_DATA_DIR: z.preprocess(unset, z.string().default(".data")),
  CARBONCLEAR_PGLITE_IN_MEMORY: z.preprocess(unset, booleanFlag.default(false)),
  RPC_URL: z.preprocess(unset, httpUrl.optional()),
  CHAIN_ID: z.preprocess(unset, integerIn(1, Number.MAX_SAFE_INTEGER).default(31337)),
  CARBONCLEAR_DEPLOYMENT_FILE: z.preprocess(unset, z.string().optional()),
  API_PORT: z.preprocess(unset, integerIn(0, 65535).default(8080)),
  REGISTRY_SIM_URL: z.preprocess(unset, httpUrl.optional()),
  PLATFORM_API_URL: z.preprocess(unset, httpUrl.optional()),
  WEBHOOK_SECRET: z.preprocess(
    unset,
    z
      .string()
      .trim()
      .regex(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, { message: "must be whsec_ followed by base64 (at least 12 bytes)" })
      .optional(),
  ),
  ORACLE_KEY: z.preprocess(unset, privateKey.optional()),
  DEPLOYER_KEY: z.preprocess(unset, privateKey.optional()),
  DEPLOY_ROLES_FILE: z.preprocess(unset, z.string().trim().optional()),
  COMPLIANCE_KEY: z.preprocess(unset, privateKey.optional()),
  SCREENING_THRESHOLD: z.preprocess(
    unset,
    z
      .string()
      .trim()
      .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { message: "must be a number from 0 to 1, e.g. 0.7" })
      .transform(Number)
      .default(0.7),
  ),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof unset(v) === "string" ? (v as string).trim().toLowerCase() : undefined),
    z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  ),
  TEST_DATABASE_URL: z.preprocess(unset, postgresUrl.optional()),
  API_HOST: z.preprocess(unset, z.string().trim().min(1).default("127.0.0.1")),
  SIWE_DOMAINS: z.preprocess(unset, commaList(z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, { message: "each entry must be host or host:port" })).optional()),
  SESSION_TTL_SECONDS: z.preprocess(unset, integerIn(60, 30 * 86_400).default(43_200)),
  ADMIN_ADDRESSES: z.preprocess(
    unset,
    commaList(z.string().regex(/^0x[0-9a-fA-F]{40}$/, { message: "each entry must be a 0x-prefixed 20-byte address" }).transform((v) => v.toLowerCase() as `0x${string}`)).default([]),
  ),
  CORS_ORIGINS: z.preprocess(unset, commaList(httpUrl).default([])),
  ORACLE_PORT: z.preprocess(unset, integerIn(0, 65535).default(4100)),
  ORACLE_HOST: z.preprocess(unset, z.string().trim().min(1).default("127.0.0.1")),
  ORACLE_NODE_URLS: z.preprocess(unset, commaList(httpUrl).default([])),
  SUBMITTER_KEY: z.preprocess(unset, privateKey.optional()),
  SYNC_PORT: z.preprocess(unset, integerIn(0, 65535).default(4200)),
  SYNC_RECONCILE_INTERVAL_MS: z.preprocess(unset, integerIn(100, 86_400_000).default(5000)),
});

/**
 * Reads and validates the configuration from `env` (the process environment by default).
 * @throws ConfigError naming every invalid variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "environment"), message: issue.message })),
    );
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    dataDir: e.CARBONCLEAR_DATA_DIR,
    pgliteInMemory: e.CARBONCLEAR_PGLITE_IN_MEMORY,
    rpcUrl: e.RPC_URL,
    chainId: e.CHAIN_ID,
    deploymentFile:
      e.CARBONCLEAR_DEPLOYMENT_FILE ?? path.join(e.CARBONCLEAR_DATA_DIR, "deployments", `${e.CHAIN_ID}.json`),
    apiPort: e.API_PORT,
    registrySimUrl: e.REGISTRY_SIM_URL,
    platformApiUrl: e.PLATFORM_API_URL,
    webhookSecret: e.WEBHOOK_SECRET === undefined ? undefined : new Secret(e.WEBHOOK_SECRET),
    oracleKey: e.ORACLE_KEY === undefined ? undefined : new Secret(e.ORACLE_KEY),
    deployerKey: e.DEPLOYER_KEY === undefined ? undefined : new Secret(e.DEPLOYER_KEY),
    deployRolesFile: e.DEPLOY_ROLES_FILE,
    complianceKey: e.COMPLIANCE_KEY === undefined ? undefined : new Secret(e.COMPLIANCE_KEY),
    screeningThreshold: e.SCREENING_THRESHOLD,
    logLevel: e.LOG_LEVEL,
    testDatabaseUrl: e.TEST_DATABASE_URL,
    apiHost: e.API_HOST,
    siweDomains: e.SIWE_DOMAINS ?? [`localhost:${e.API_PORT}`, `127.0.0.1:${e.API_PORT}`],
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    adminAddresses: e.ADMIN_ADDRESSES,
    corsOrigins: e.CORS_ORIGINS,
    oraclePort: e.ORACLE_PORT,
    oracleHost: e.ORACLE_HOST,
    oracleNodeUrls: e.ORACLE_NODE_URLS,
    submitterKey: e.SUBMITTER_KEY === undefined ? undefined : new Secret(e.SUBMITTER_KEY),
    syncPort: e.SYNC_PORT,
    syncReconcileIntervalMs: e.SYNC_RECONCILE_INTERVAL_MS,
  };
}

/** Replaces the password of a connection URL with `***`. */
export function maskUrlPassword(url: string): string {
  if (!URL.canParse(url)) return "[unparseable URL]";
  const u = new URL(url);
  if (u.password !== "") u.password = "***";
  return u.toString();
}

/** A copy of the config that is safe to log: URL passwords masked, secrets redacted. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: config.databaseUrl === undefined ? undefined : maskUrlPassword(config.databaseUrl),
    testDatabaseUrl: config.testDatabaseUrl === undefined ? undefined : maskUrlPassword(config.testDatabaseUrl),
    rpcUrl: config.rpcUrl === undefined ? undefined : maskUrlPassword(config.rpcUrl),
    platformApiUrl: config.platformApiUrl === undefined ? undefined : maskUrlPassword(config.platformApiUrl),
    webhookSecret: config.webhookSecret === undefined ? undefined : "[redacted]",
    oracleKey: config.oracleKey === undefined ? undefined : "[redacted]",
    deployerKey: config.deployerKey === undefined ? undefined : "[redacted]",
    complianceKey: config.complianceKey === undefined ? undefined : "[redacted]",
    submitterKey: config.submitterKey === undefined ? undefined : "[redacted]",
  };
}
