import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEventLog, encodeAbiParameters, encodeEventTopics, type Abi, type AbiEvent, type AbiParameter, type Hex } from "viem";
import { compileEventDecoder } from "./eventDecoder";
import { LEDGER_CONTRACTS } from "./projections";

/** An arbitrary value of ABI type `param` (the shapes the ledger's events use, and then some). */
function valueOf(param: AbiParameter): fc.Arbitrary<unknown> {
  const { type } = param;
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array !== null) {
    const inner = valueOf({ ...param, type: array[1] });
    return array[2] === "" ? fc.array(inner, { maxLength: 3 }) : fc.array(inner, { minLength: Number(array[2]), maxLength: Number(array[2]) });
  }
  if (type === "tuple") {
    const components = (param as { components: readonly AbiParameter[] }).components;
    return fc.tuple(...components.map(valueOf)).map((values) => Object.fromEntries(components.map((c, i) => [c.name!, values[i]])));
  }
  if (type === "address") return fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
  if (type === "bool") return fc.boolean();
  if (type === "string") return fc.string({ maxLength: 40 });
  if (type === "bytes") return fc.uint8Array({ maxLength: 40 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
  const bytes = /^bytes(\d+)$/.exec(type);
  if (bytes !== null) return fc.uint8Array({ minLength: Number(bytes[1]), maxLength: Number(bytes[1]) }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
  const int = /^(u?)int(\d+)$/.exec(type);
  if (int !== null) {
    const bits = BigInt(int[2]);
    return int[1] === "u" ? fc.bigInt(0n, 2n ** bits - 1n) : fc.bigInt(-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n);
  }
  throw new Error(`no arbitrary for ABI type ${type}`);
}

/** A log of `event` with arbitrary arguments, encoded by viem. */
function logOf(event: AbiEvent): fc.Arbitrary<{ topics: Hex[]; data: Hex }> {
  return fc.tuple(...event.inputs.map(valueOf)).map((values) => {
    const args = Object.fromEntries(event.inputs.map((input, i) => [input.name!, values[i]]));
    const topics = encodeEventTopics({ abi: [event], eventName: event.name, args } as never) as Hex[];
    const nonIndexed = event.inputs.filter((input) => input.indexed !== true);
    const data = encodeAbiParameters(nonIndexed, nonIndexed.map((input) => args[input.name!]));
    return { topics, data };
  });
}

describe("compileEventDecoder", () => {
  const events = LEDGER_CONTRACTS.flatMap((contract) =>
    contract.abi.filter((item): item is AbiEvent => item.type === "event").map((event) => ({ contract, event })),
  );

  it("covers the ledger contracts' events", () => {
    expect(events.length).toBeGreaterThan(30);
  });

  it.each(events.map(({ contract, event }) => [`${contract.name}.${event.name}`, contract.abi, event] as const))(
    "decodes %s exactly as viem's decodeEventLog does",
    (_name, abi, event) => {
      const decoder = compileEventDecoder(abi);
      fc.assert(
        fc.property(logOf(event), ({ topics, data }) => {
          const expected = decodeEventLog({ abi, topics: topics as [Hex, ...Hex[]], data, strict: true });
          expect(decoder.decode(topics, data)).toEqual({ eventName: expected.eventName, args: expected.args });
        }),
        { numRuns: 25 },
      );
    },
  );

  it("returns undefined for a selector the ABI lacks, and throws on topics or data that do not fit the event", () => {
    const abi = [
      { type: "event", name: "Moved", inputs: [{ name: "from", type: "address", indexed: true }, { name: "amount", type: "uint256", indexed: false }] },
    ] as const satisfies Abi;
    const decoder = compileEventDecoder(abi);
    const topics = encodeEventTopics({ abi, eventName: "Moved", args: { from: `0x${"11".repeat(20)}` } }) as Hex[];
    const data = encodeAbiParameters([{ type: "uint256" }], [7n]);
    expect(decoder.decode(topics, data)).toEqual({ eventName: "Moved", args: { from: `0x${"11".repeat(20)}`, amount: 7n } });
    expect(decoder.decode([`0x${"ab".repeat(32)}`, ...topics.slice(1)], data)).toBeUndefined();
    expect(() => decoder.decode(topics.slice(0, 1), data)).toThrow(/indexed inputs/);
    expect(() => decoder.decode(topics, "0x")).toThrow();
  });
});
