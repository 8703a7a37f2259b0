/**
 * Arithmetic on inclusive serial ranges `[start, end]` (bigint, one serial = one tonne): taking a
 * quantity first-in first-out or an exact sub-range out of a sorted list of disjoint ranges, with
 * the pieces cut exactly at the boundaries.
 */

export interface SerialRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** What was cut out of a list of ranges and what is left; each piece lies inside one source range. */
export interface RangeCut {
  /** Pieces taken, ascending; `sourceIndex` is the index of the range each piece came from. */
  readonly taken: readonly (SerialRange & { readonly sourceIndex: number })[];
  /** Pieces left, ascending, with the index of their source range. */
  readonly rest: readonly (SerialRange & { readonly sourceIndex: number })[];
}

export function rangeQuantity(range: SerialRange): bigint {
  return range.end - range.start + 1n;
}

export function totalQuantity(ranges: readonly SerialRange[]): bigint {
  return ranges.reduce((sum, range) => sum + rangeQuantity(range), 0n);
}

export function compareRanges(a: SerialRange, b: SerialRange): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : 0;
}

/** Whether `ranges` are well formed (start ≤ end), ascending and pairwise disjoint. */
export function areSortedAndDisjoint(ranges: readonly SerialRange[]): boolean {
  return ranges.every((range, i) => range.start <= range.end && (i === 0 || ranges[i - 1].end < range.start));
}

function assertSortedAndDisjoint(ranges: readonly SerialRange[]): void {
  if (!areSortedAndDisjoint(ranges)) throw new RangeError("ranges must be well formed, ascending and disjoint");
}

/**
 * Takes `quantity` serials first-in first-out: from the lowest serial upwards, splitting the last
 * range touched. `ranges` must be ascending and disjoint.
 * @throws RangeError when `quantity` is not positive or exceeds the total.
 */
export function takeFirstSerials(ranges: readonly SerialRange[], quantity: bigint): RangeCut {
  assertSortedAndDisjoint(ranges);
  if (quantity <= 0n) throw new RangeError(`quantity must be positive (got ${quantity})`);
  const available = totalQuantity(ranges);
  if (quantity > available) throw new RangeError(`quantity ${quantity} exceeds the ${available} serials available`);
  const taken: (SerialRange & { sourceIndex: number })[] = [];
  const rest: (SerialRange & { sourceIndex: number })[] = [];
  let missing = quantity;
  ranges.forEach((range, sourceIndex) => {
    if (missing === 0n) {
      rest.push({ start: range.start, end: range.end, sourceIndex });
      return;
    }
    const size = rangeQuantity(range);
    if (size <= missing) {
      taken.push({ start: range.start, end: range.end, sourceIndex });
      missing -= size;
      return;
    }
    const cut = range.start + missing - 1n;
    taken.push({ start: range.start, end: cut, sourceIndex });
    rest.push({ start: cut + 1n, end: range.end, sourceIndex });
    missing = 0n;
  });
  return { taken, rest };
}

/**
 * Takes exactly the serials of `wanted`, or returns undefined when some serial of `wanted` is not in
 * `ranges`. `ranges` must be ascending and disjoint.
 */
export function takeExactSerials(ranges: readonly SerialRange[], wanted: SerialRange): RangeCut | undefined {
  assertSortedAndDisjoint(ranges);
  if (wanted.start > wanted.end) throw new RangeError(`range ${wanted.start}-${wanted.end} ends before it starts`);
  const taken: (SerialRange & { sourceIndex: number })[] = [];
  const rest: (SerialRange & { sourceIndex: number })[] = [];
  ranges.forEach((range, sourceIndex) => {
    if (range.end < wanted.start || range.start > wanted.end) {
      rest.push({ start: range.start, end: range.end, sourceIndex });
      return;
    }
    if (range.start < wanted.start) rest.push({ start: range.start, end: wanted.start - 1n, sourceIndex });
    taken.push({
      start: range.start > wanted.start ? range.start : wanted.start,
      end: range.end < wanted.end ? range.end : wanted.end,
      sourceIndex,
    });
    if (range.end > wanted.end) rest.push({ start: wanted.end + 1n, end: range.end, sourceIndex });
  });
  rest.sort(compareRanges);
  return totalQuantity(taken) === rangeQuantity(wanted) ? { taken, rest } : undefined;
}

/** The parts of `range` not covered by `covered` (ascending, disjoint), in ascending order. */
export function uncoveredParts(range: SerialRange, covered: readonly SerialRange[]): SerialRange[] {
  const gaps: SerialRange[] = [];
  let cursor = range.start;
  for (const piece of [...covered].sort(compareRanges)) {
    if (piece.end < cursor || piece.start > range.end) continue;
    if (piece.start > cursor) gaps.push({ start: cursor, end: piece.start - 1n });
    cursor = piece.end + 1n;
    if (cursor > range.end) break;
  }
  if (cursor <= range.end) gaps.push({ start: cursor, end: range.end });
  return gaps;
}
