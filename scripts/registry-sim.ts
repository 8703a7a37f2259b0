/**
 * Runs the registry simulator standalone: `npm run registry:sim -- [options]`.
 *
 *   --port <n>           port to listen on (default: the port of REGISTRY_SIM_URL, else 4010)
 *   --host <address>     address to listen on (default 127.0.0.1)
 *   --cycle-ms <n>       time between processing cycles in ms (default 60000); "manual" = only on admin tick
 *   --seed <n>           seed of every random choice (default 1)
 *   --time-factor <x>    multiplies the webhook retry schedule (default 1 = real time)
 *   --webhook-concurrency <n>  webhook attempts in flight per endpoint (default 1: one at a time)
 *   --admin-token <t>    enables /v1/admin/* for `Authorization: Bearer <t>`
 *   --help               prints this text
 */
import pino from "pino";
import { loadConfig } from "../backend/src/config";
import { startRegistrySimulator } from "../backend/src/registry/simulator";

const USAGE = `usage: npm run registry:sim -- [--port <n>] [--host <address>] [--cycle-ms <n>|manual] [--seed <n>] [--time-factor <x>] [--webhook-concurrency <n>] [--admin-token <token>]`;

interface SimulatorArguments {
  port?: number;
  host?: string;
  cycleMs?: number | null;
  seed?: number;
  timeFactor?: number;
  webhookConcurrency?: number;
  adminToken?: string;
  help: boolean;
}

/** Parses `--name value` and `--name=value` pairs. @throws Error naming the bad argument. */
function parseSimulatorArguments(argv: readonly string[]): SimulatorArguments {
  const parsed: SimulatorArguments = { help: false };
  const number = (name: string, text: string, check: (n: number) => boolean, expected: string): number => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || !check(value)) throw new Error(`--${name}: expected ${expected}, got ${JSON.stringify(text)}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === "--help" || argument === "-h") {
      parsed.help = true;
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
    if (match === null) throw new Error(`unexpected argument ${JSON.stringify(argument)}`);
    const name = match[1];
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    switch (name) {
      case "port":
        parsed.port = number(name, value, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "a port number 0–65535");
        break;
      case "host":
        parsed.host = value;
        break;
      case "cycle-ms":
        parsed.cycleMs = value === "manual" ? null : number(name, value, (n) => Number.isInteger(n) && n > 0, "a positive number of ms or \"manual\"");
        break;
      case "seed":
        parsed.seed = number(name, value, Number.isSafeInteger, "an integer");
        break;
      case "time-factor":
        parsed.timeFactor = number(name, value, (n) => n > 0, "a positive number");
        break;
      case "webhook-concurrency":
        parsed.webhookConcurrency = number(name, value, (n) => Number.isInteger(n) && n >= 1 && n <= 1024, "a whole number 1–1024");
        break;
      case "admin-token":
        if (value.length < 8) throw new Error("--admin-token: expected at least 8 characters");
        parsed.adminToken = value;
        break;
      default:
        throw new Error(`unknown option --${name}`);
    }
  }
  return parsed;
}

async function main(): Promise<void> {
  let args: SimulatorArguments;
  try {
    args = parseSimulatorArguments(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  const configuredPort = config.registrySimUrl === undefined ? undefined : Number(new URL(config.registrySimUrl).port || 80);
  const running = await startRegistrySimulator({
    port: args.port ?? configuredPort ?? 4010,
    host: args.host,
    cycleMs: args.cycleMs === undefined ? 60_000 : args.cycleMs,
    seed: args.seed ?? 1,
    webhookTimeFactor: args.timeFactor ?? 1,
    webhookConcurrency: args.webhookConcurrency,
    adminToken: args.adminToken,
    logger,
  });
  logger.info(
    {
      url: running.url,
      cycleMs: running.control.cycleMs,
      admin: args.adminToken !== undefined,
      custodyAccounts: {
        VERRA: running.control.platformCustodyAccountId("VERRA"),
        GOLD_STANDARD: running.control.platformCustodyAccountId("GOLD_STANDARD"),
        CCTS: running.control.platformCustodyAccountId("CCTS"),
      },
    },
    "registry simulator listening",
  );
  const shutdown = (signal: string) => {
    logger.info({ signal }, "registry simulator stopping");
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "registry simulator failed to stop cleanly");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

void main();
