/**
 * EIP-712 hashing compiled once per type set: `hashTypedData` for flat structs of atomic fields,
 * strings, bytes and nested structs, without re-deriving the type hashes, re-validating the type
 * definitions and re-hashing the domain on every call as viem's general `hashTypedData` does. The
 * oracle hashes every attestation in every node and again in the aggregator; there viem's version
 * costs about 1-2 ms each, this one a small fraction of it.
 *
 * Values are checked as viem checks them (integer ranges, fixed-byte lengths, addresses), and a
 * type this compiler does not handle (arrays, signed integers) is refused when the hasher is built.
 * Property-tested to equal viem's `hashTypedData` for every attestation kind.
 */
import { concatBytes, domainSeparator, hexToBytes, isAddress, stringToBytes, type Hash, type TypedDataDomain } from "viem";
import { keccak256Bytes, keccak256Hex } from "./keccak";

type Field = { readonly name: string; readonly type: string };
type Types = Readonly<Record<string, readonly Field[]>>;
type Encoder = (value: unknown, path: string) => Uint8Array;

/** Thrown for a value that does not fit its EIP-712 type. */
export class TypedDataValueError extends Error {
  override readonly name = "TypedDataValueError";
}

function word(): Uint8Array {
  return new Uint8Array(32);
}

function bigintWord(value: bigint): Uint8Array {
  const out = word();
  let v = value;
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function encodeType(types: Types, primary: string): string {
  const deps = new Set<string>();
  const visit = (name: string) => {
    for (const field of types[name]) {
      const base = field.type.replace(/\[.*$/, "");
      if (types[base] !== undefined && !deps.has(base) && base !== primary) {
        deps.add(base);
        visit(base);
      }
    }
  };
  visit(primary);
  const one = (name: string) => `${name}(${types[name].map((f) => `${f.type} ${f.name}`).join(",")})`;
  return [primary, ...[...deps].sort()].map(one).join("");
}

function atomicEncoder(type: string): Encoder {
  if (type === "address") {
    return (value, path) => {
      if (typeof value !== "string" || !isAddress(value, { strict: false })) throw new TypedDataValueError(`${path}: expected an address, got ${String(value)}`);
      const out = word();
      out.set(hexToBytes(value as `0x${string}`), 12);
      return out;
    };
  }
  if (type === "bool") {
    return (value, path) => {
      if (typeof value !== "boolean") throw new TypedDataValueError(`${path}: expected a boolean, got ${String(value)}`);
      const out = word();
      out[31] = value ? 1 : 0;
      return out;
    };
  }
  if (type === "string") {
    return (value, path) => {
      if (typeof value !== "string") throw new TypedDataValueError(`${path}: expected a string`);
      return keccak256Bytes(stringToBytes(value));
    };
  }
  if (type === "bytes") {
    return (value, path) => {
      if (typeof value !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(value)) throw new TypedDataValueError(`${path}: expected hex bytes`);
      return keccak256Bytes(hexToBytes(value as `0x${string}`));
    };
  }
  const uint = /^uint(\d+)$/.exec(type);
  if (uint !== null) {
    const bits = BigInt(uint[1]);
    const max = (1n << bits) - 1n;
    return (value, path) => {
      const v = typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : value;
      if (typeof v !== "bigint" || v < 0n || v > max) throw new TypedDataValueError(`${path}: expected a ${type}, got ${String(value)}`);
      return bigintWord(v);
    };
  }
  const fixed = /^bytes(\d+)$/.exec(type);
  if (fixed !== null) {
    const size = Number(fixed[1]);
    if (size < 1 || size > 32) throw new Error(`EIP-712 type ${type} does not exist`);
    return (value, path) => {
      if (typeof value !== "string" || !/^0x[0-9a-fA-F]*$/.test(value) || value.length !== 2 + 2 * size) {
        throw new TypedDataValueError(`${path}: expected ${type} (${size} bytes of hex), got ${String(value)}`);
      }
      const out = word();
      out.set(hexToBytes(value as `0x${string}`), 0);
      return out;
    };
  }
  throw new Error(`EIP-712 type ${type} is not supported by the compiled hasher`);
}

function structEncoder(types: Types, name: string, cache: Map<string, (value: unknown, path: string) => Uint8Array>): (value: unknown, path: string) => Uint8Array {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const typeHash = keccak256Bytes(stringToBytes(encodeType(types, name)));
  const fields: { name: string; encode: Encoder }[] = [];
  const hashStruct = (value: unknown, path: string): Uint8Array => {
    if (typeof value !== "object" || value === null) throw new TypedDataValueError(`${path}: expected a ${name} struct`);
    const record = value as Record<string, unknown>;
    const buffer = new Uint8Array(32 * (fields.length + 1));
    buffer.set(typeHash, 0);
    fields.forEach((field, i) => buffer.set(field.encode(record[field.name], `${path}.${field.name}`), 32 * (i + 1)));
    return keccak256Bytes(buffer);
  };
  cache.set(name, hashStruct);
  for (const field of types[name]) {
    fields.push({ name: field.name, encode: types[field.type] !== undefined ? structEncoder(types, field.type, cache) : atomicEncoder(field.type) });
  }
  return hashStruct;
}

/**
 * A hasher for `primaryType` of `types` under `domain`: `(message) => EIP-712 digest`, equal to
 * viem's `hashTypedData({ domain, types, primaryType, message })`.
 */
export function compileTypedDataHasher(domain: TypedDataDomain, types: Types, primaryType: string): (message: unknown) => Hash {
  if (types[primaryType] === undefined) throw new Error(`EIP-712 primary type ${primaryType} is not among the types`);
  const hashStruct = structEncoder(types, primaryType, new Map());
  const prefix = concatBytes([new Uint8Array([0x19, 0x01]), hexToBytes(domainSeparator({ domain }))]);
  return (message) => keccak256Hex(concatBytes([prefix, hashStruct(message, primaryType)]));
}
