/** Shared shapes of the backend (no I/O): registries, serial blocks, batches, labels, claims, attestations. */
export * from "./attestation";
export * from "./batch";
export * from "./correspondingAdjustment";
export * from "./countries";
export * from "./dates";
export * from "./encoding";
export * from "./labels";
export * from "./registries";
export * from "./retirement";
export * from "./serialBlock";
export * from "./validation";
