/**
 * Decodes a contract's logs by event selector, with the selectors hashed once per ABI.
 *
 * viem's `decodeEventLog` hashes the signature of every candidate event for every log (one
 * keccak per event of the ABI, or one per log even with a single-event ABI), which is most of the
 * indexer's decoding time. This decoder looks the event up by `topics[0]` in a table built once,
 * then decodes exactly as `decodeEventLog` does in strict mode: indexed static values from their
 * topic, indexed dynamic values (string, bytes, arrays, tuples) as the topic hash itself, the
 * other values from the data; a log whose topics or data do not fit its event throws.
 * Anonymous events (no selector topic) go to `decodeEventLog` unchanged.
 */
import { decodeAbiParameters, decodeEventLog, toEventSelector, type Abi, type AbiEvent, type AbiParameter, type Hex } from "viem";
import type { DecodedEvent } from "./contractModule";

interface CompiledEvent {
  readonly event: AbiEvent;
  readonly indexed: readonly AbiParameter[];
  readonly nonIndexed: readonly AbiParameter[];
  /** Whether any input has no name: viem then returns the arguments as an array in input order. */
  readonly positional: boolean;
}

/** A log's topics do not match its event's indexed inputs. */
export class EventTopicsMismatchError extends Error {
  constructor(event: AbiEvent, topics: number) {
    super(`event ${event.name} has ${event.inputs.filter((i) => i.indexed === true).length} indexed inputs, the log has ${topics} argument topics`);
    this.name = "EventTopicsMismatchError";
  }
}

const isDynamic = (type: string): boolean => type === "string" || type === "bytes" || type.startsWith("tuple") || type.endsWith("]");

export interface EventDecoder {
  /** The decoded event, or undefined when the ABI has no event with the log's selector. */
  decode(topics: readonly Hex[], data: Hex): DecodedEvent | undefined;
}

export function compileEventDecoder(abi: Abi): EventDecoder {
  const bySelector = new Map<string, CompiledEvent>();
  let hasAnonymous = false;
  for (const item of abi) {
    if (item.type !== "event") continue;
    if (item.anonymous === true) {
      hasAnonymous = true;
      continue;
    }
    bySelector.set(toEventSelector(item).toLowerCase(), {
      event: item,
      indexed: item.inputs.filter((input) => input.indexed === true),
      nonIndexed: item.inputs.filter((input) => input.indexed !== true),
      positional: item.inputs.some((input) => input.name === undefined || input.name === ""),
    });
  }

  function decodeCompiled(compiled: CompiledEvent, topics: readonly Hex[], data: Hex): DecodedEvent {
    const { event, indexed, nonIndexed, positional } = compiled;
    if (topics.length - 1 !== indexed.length) throw new EventTopicsMismatchError(event, topics.length - 1);
    const byName: Record<string, unknown> = {};
    const indexedValues = indexed.map((input, i) => {
      const topic = topics[i + 1];
      return isDynamic(input.type) ? topic : decodeAbiParameters([input], topic)[0];
    });
    const dataValues = nonIndexed.length === 0 ? [] : decodeAbiParameters(nonIndexed, data);
    if (positional) {
      let i = 0;
      let d = 0;
      return { eventName: event.name, args: event.inputs.map((input) => (input.indexed === true ? indexedValues[i++] : dataValues[d++])) };
    }
    indexed.forEach((input, i) => (byName[input.name!] = indexedValues[i]));
    nonIndexed.forEach((input, i) => (byName[input.name!] = dataValues[i]));
    return { eventName: event.name, args: event.inputs.length === 0 ? undefined : byName };
  }

  return {
    decode(topics, data) {
      const selector = topics[0];
      if (selector === undefined || (hasAnonymous && !bySelector.has(selector.toLowerCase()))) {
        try {
          const decoded = decodeEventLog({ abi, topics: topics as [Hex, ...Hex[]], data, strict: true });
          return { eventName: decoded.eventName ?? "", args: decoded.args };
        } catch (error) {
          if ((error as Error).name === "AbiEventSignatureNotFoundError" || (error as Error).name === "AbiEventSignatureEmptyTopicsError") return undefined;
          throw error;
        }
      }
      const compiled = bySelector.get(selector.toLowerCase());
      return compiled === undefined ? undefined : decodeCompiled(compiled, topics, data);
    },
  };
}
