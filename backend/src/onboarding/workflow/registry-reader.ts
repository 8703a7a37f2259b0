/** Reads registry accounts for linkage through the registry adapters (one API root per registry). */
import type { RegistryId } from "../../domain";
import { createRegistryAdapter } from "../../registry/adapter";
import { registryApiBaseUrl } from "../../registry/api";
import type { FetchLike } from "../../registry/apiClient";
import type { RegistryAccountReader } from "./service";

/** A reader over a registry server hosting every registry (the simulator, `REGISTRY_SIM_URL`). */
export function registryAccountReader(serverUrl: string, options: { fetch?: FetchLike; timeoutMs?: number } = {}): RegistryAccountReader {
  const adapters = new Map<RegistryId, ReturnType<typeof createRegistryAdapter>>();
  return (registry, accountId) => {
    let adapter = adapters.get(registry);
    if (adapter === undefined) {
      adapter = createRegistryAdapter(registry, { baseUrl: registryApiBaseUrl(serverUrl, registry), fetch: options.fetch, timeoutMs: options.timeoutMs });
      adapters.set(registry, adapter);
    }
    return adapter.getAccount(accountId);
  };
}
