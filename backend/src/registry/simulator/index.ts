/**
 * The registry simulator: the one simulated part of the platform, an HTTP service that behaves
 * like the Verra, Gold Standard and CCTS registries (see `httpApi.ts` for the routes and
 * `wire.ts` for the shapes). Start it in-process with {@link startRegistrySimulator}, or
 * standalone with `npm run registry:sim`.
 */
import type { AddressInfo } from "node:net";
import { createServer } from "node:http";
import { createRegistrySimulatorApp } from "./httpApi";
import { RegistrySimulator, type RegistrySimulatorControl, type RegistrySimulatorOptions } from "./simulator";

export interface StartRegistrySimulatorOptions extends RegistrySimulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
}

export interface RunningRegistrySimulator {
  /** Base URL, e.g. `http://127.0.0.1:4010` (no trailing slash). */
  readonly url: string;
  readonly control: RegistrySimulatorControl;
  /** The instance itself, for in-process seeding and inspection. */
  readonly simulator: RegistrySimulator;
  /** Stops cycles and webhooks, drops open connections and stops listening. */
  close(): Promise<void>;
}

export async function startRegistrySimulator(options: StartRegistrySimulatorOptions = {}): Promise<RunningRegistrySimulator> {
  const simulator = new RegistrySimulator(options);
  const server = createServer(createRegistrySimulatorApp(simulator));
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    control: simulator.control,
    simulator,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        simulator.close();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

export { RegistrySimulator, type RegistrySimulatorControl, type RegistrySimulatorOptions } from "./simulator";
export { DEFAULT_PLATFORM_CUSTODY_ACCOUNT_IDS } from "./ledger";
export { RETRY_SCHEDULE_MS, type WebhookChaos, type WebhookDelivery } from "./webhookDispatcher";
export type { ApiFaultRuleInput } from "./apiFaults";
export * from "./wire";
