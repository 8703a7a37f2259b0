/**
 * Names of the ledger contracts' Solidity enums, indexed by their uint8 value (the order of the
 * declarations in `contracts/interfaces/*.sol` and the consumer contracts).
 */

/** `IIdentityRegistry.Status`. */
export const IDENTITY_STATUSES = ["None", "Pending", "Verified", "Suspended"] as const;
export type IdentityStatus = (typeof IDENTITY_STATUSES)[number];

/** `IIdentityRegistry.EntityType`. */
export const ENTITY_TYPES = ["Unspecified", "Individual", "Company", "Government", "Custody"] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/**
 * `RetirementCertificate.RegistryStatus` and `RegistryBridge.RedemptionStatus` (same layout):
 * None, Pending, Confirmed, Rejected.
 */
export const REGISTRY_STATUSES = ["None", "Pending", "Confirmed", "Rejected"] as const;
export type RegistryStatus = (typeof REGISTRY_STATUSES)[number];

/** The uint8 value of `name` in `names`. */
export function enumValue<const Names extends readonly string[]>(names: Names, name: Names[number]): number {
  return names.indexOf(name);
}

/** The name of uint8 `value` in `names`; throws a RangeError naming the enum when out of range. */
export function enumName<const Names extends readonly string[]>(enumLabel: string, names: Names, value: number): Names[number] {
  const name = names[value];
  if (name === undefined) throw new RangeError(`${value} is not a valid ${enumLabel} (0..${names.length - 1})`);
  return name;
}
