/** The registries CarbonClear bridges, by the id the chain stores (`BatchInfo.registry`, bytes16 ASCII). */
import { z } from "zod";

export const REGISTRY_IDS = ["VERRA", "GOLD_STANDARD", "CCTS"] as const;
export const registryIdSchema = z.enum(REGISTRY_IDS);
export type RegistryId = z.infer<typeof registryIdSchema>;
