import { type PartialDate, parsePartialIsoDate } from "../calendar-date";
import type { CountryRef } from "../countries";
import { birthDateEvidence, countryEvidence, type EvidenceOutcome, queryCountry } from "./evidence";
import type { MatchResult } from "./match-result";
import { type EntryKind, type ListedName, type NameQuality, nameQualitySchema, type SanctionsEntry } from "./model";
import { compareNameVariants, explainComparison, type NameComparison, type PreparedName, prepareName } from "./name-similarity";
import { IndexedNameScorer } from "./indexed-name-scorer";
import { candidateNames } from "./name-candidates";
import { compareTokens, prepareToken, type PreparedToken } from "./name-tokens";
import type { IndexedName, ScreeningIndex } from "./screening-index";
import {
  type ScoringWeights, scoringWeightsSchema, type ScreeningOptions, screeningOptionsSchema, type ScreeningQuery,
  screeningQuerySchema, type ScreeningResult,
} from "./screening-options";
import { partitionBySuppression } from "./suppression";
import { AlignmentWorkspace } from "./token-alignment";

export type { MatchResult } from "./match-result";
export type { ScoringWeights, ScreeningOptions, ScreeningQuery, ScreeningResult } from "./screening-options";

interface PreparedQuery {
  readonly name: PreparedName;
  readonly dob: PartialDate | null;
  readonly country: CountryRef | null;
  readonly kind: EntryKind | undefined;
}

function prepareQuery(query: ScreeningQuery, intern: (text: string) => PreparedToken = prepareToken): PreparedQuery {
  const parsed = screeningQuerySchema.parse(query);
  return {
    name: prepareName(parsed.name, intern),
    dob: parsed.dob === undefined ? null : parsePartialIsoDate(parsed.dob),
    country: queryCountry(parsed.country),
    kind: parsed.kind,
  };
}

function aliasWeight(quality: NameQuality, weights: ScoringWeights): number {
  if (quality === "aka-low") return weights.weakAliasFactor;
  if (quality === "fka") return weights.formerNameFactor;
  return 1;
}

function evidenceAdjustment(outcome: EvidenceOutcome, bonus: number, penalty: number): number {
  if (outcome === "match") return bonus;
  if (outcome === "mismatch") return -penalty;
  return 0;
}

interface BestName {
  readonly listed: ListedName;
  readonly comparison: NameComparison;
  readonly weighted: number;
}

function bestNameOf(query: PreparedQuery, names: readonly { listed: ListedName; prepared: PreparedName }[], weights: ScoringWeights): BestName | null {
  let best: BestName | null = null;
  const workspace = new AlignmentWorkspace();
  for (const { listed, prepared } of names) {
    const comparison = compareNameVariants(query.name, prepared, compareTokens, workspace);
    const weighted = comparison.score * aliasWeight(listed.quality, weights);
    if (best === null || weighted > best.weighted) best = { listed, comparison, weighted };
  }
  return best;
}

interface EntryEvidence {
  readonly dob: EvidenceOutcome;
  readonly country: EvidenceOutcome;
  readonly dobAdjustment: number;
  readonly countryAdjustment: number;
}

function evidenceFor(query: PreparedQuery, entry: SanctionsEntry, weights: ScoringWeights): EntryEvidence {
  const dob = birthDateEvidence(query.dob, entry.birthDates);
  const country = countryEvidence(query.country, entry.countries);
  return {
    dob,
    country,
    dobAdjustment: evidenceAdjustment(dob, weights.dobMatchBonus, weights.dobMismatchPenalty),
    countryAdjustment: evidenceAdjustment(country, weights.countryMatchBonus, weights.countryMismatchPenalty),
  };
}

function finalScore(weightedNameScore: number, evidence: EntryEvidence): number {
  return Math.min(1, Math.max(0, weightedNameScore + evidence.dobAdjustment + evidence.countryAdjustment));
}

function resultFor(entry: SanctionsEntry, best: BestName, evidence: EntryEvidence, weights: ScoringWeights): MatchResult {
  return {
    listId: entry.listId,
    listVersion: entry.listVersion,
    entryId: entry.entryId,
    kind: entry.kind,
    score: finalScore(best.weighted, evidence),
    nameScore: best.comparison.score,
    matchedName: { full: best.listed.full, quality: best.listed.quality },
    explanation: explainComparison(best.comparison),
    evidence: { dob: evidence.dob, country: evidence.country },
    adjustments: { aliasWeight: aliasWeight(best.listed.quality, weights), dob: evidence.dobAdjustment, country: evidence.countryAdjustment },
  };
}

/** Scores one entry against a query, whatever the score (no threshold, no kind filter). */
export function scoreEntry(query: ScreeningQuery, entry: SanctionsEntry, weights: Partial<ScoringWeights> = {}): MatchResult {
  const prepared = prepareQuery(query);
  const parsedWeights = scoringWeightsSchema.parse(weights);
  const names = entry.names.map((listed) => ({ listed, prepared: prepareName(listed.full) }));
  const best = bestNameOf(prepared, names, parsedWeights);
  if (best === null) throw new Error(`entry ${entry.entryId} has no names`);
  return resultFor(entry, best, evidenceFor(prepared, entry, parsedWeights), parsedWeights);
}

/**
 * The most birth date and country can add to a name score for this query: a bonus needs the query to
 * give the fact (evidence is "unknown" otherwise).
 */
function evidenceCeilingOf(query: PreparedQuery, weights: ScoringWeights): number {
  return (query.dob === null ? 0 : weights.dobMatchBonus) + (query.country === null ? 0 : weights.countryMatchBonus);
}

/**
 * Slack on the pruning comparisons, so floating-point rounding in a bound (the same quantities summed
 * in another order) can never drop a name whose score sits exactly at the threshold.
 */
const BOUND_SLACK = 1e-9;

/**
 * Per name quality (nameQualitySchema.options order), the least name score with which a name of that
 * quality can still reach the threshold: score × alias factor + evidence ceiling ≥ threshold.
 */
function leastNameScores(threshold: number, evidenceCeiling: number, weights: ScoringWeights): Float64Array {
  return Float64Array.from(nameQualitySchema.options, (quality) => {
    const factor = aliasWeight(quality, weights);
    return factor === 0 ? Infinity : (threshold - BOUND_SLACK - evidenceCeiling) / factor;
  });
}

interface ScoredCandidate {
  readonly listId: string;
  readonly listVersion: string;
  readonly entryId: string;
  readonly entry: SanctionsEntry;
  readonly name: IndexedName;
  readonly weighted: number;
  readonly evidence: EntryEvidence;
  readonly score: number;
}

/** Alignment buffers for screen: it runs synchronously and the workspace keeps no results between calls. */
const sharedWorkspace = new AlignmentWorkspace();

/** Screens a subject against an index: top candidates at or above the threshold, best first. */
export function screen(query: ScreeningQuery, index: ScreeningIndex, options: ScreeningOptions = {}): ScreeningResult {
  const { threshold, limit, weights, suppression } = screeningOptionsSchema.parse(options);
  const prepared = prepareQuery(query, (text) => {
    const id = index.tokenIds.get(text);
    return id === undefined ? prepareToken(text) : index.vocabulary[id];
  });
  const evidenceCeiling = evidenceCeilingOf(prepared, weights);
  const scorer = new IndexedNameScorer(prepared.name, index, sharedWorkspace);
  const kindFits = (nameIndex: number): boolean => {
    const kind = index.entries[index.names[nameIndex].entryIndex].kind;
    return prepared.kind === undefined || kind === "unknown" || kind === prepared.kind;
  };
  // A name no query token can pair with scores 0: only when evidence alone can reach the threshold
  // must every name be scored. Otherwise a name is scored in full only when an upper bound of its
  // weighted score plus the evidence ceiling reaches the threshold (see candidateNames).
  const fullScan = threshold <= evidenceCeiling + BOUND_SLACK;
  const names = fullScan
    ? index.names.map((_, nameIndex) => nameIndex)
    : candidateNames(scorer, index, leastNameScores(threshold, evidenceCeiling, weights));

  // Best name per entry; `touched` keeps first-seen order.
  const bestOfEntry = new Map<number, { weighted: number; nameIndex: number }>();
  const touched: number[] = [];
  let namesCompared = 0;
  for (const nameIndex of names) {
    if (!kindFits(nameIndex)) continue;
    const name = index.names[nameIndex];
    const entryIndex = name.entryIndex;
    namesCompared++;
    const weighted = scorer.score(name) * aliasWeight(name.listed.quality, weights);
    const best = bestOfEntry.get(entryIndex);
    if (best === undefined) {
      touched.push(entryIndex);
      bestOfEntry.set(entryIndex, { weighted, nameIndex });
    } else if (weighted > best.weighted || (weighted === best.weighted && nameIndex < best.nameIndex)) {
      // Ties go to the name listed first, as in scoreEntry.
      best.weighted = weighted;
      best.nameIndex = nameIndex;
    }
  }

  const candidates: ScoredCandidate[] = [];
  // Birth date and country can add at most their bonuses: entries that cannot reach the threshold
  // even with both are skipped before their evidence is read (the result is the same).
  for (const entryIndex of touched) {
    const { weighted, nameIndex } = bestOfEntry.get(entryIndex) as { weighted: number; nameIndex: number };
    if (weighted + evidenceCeiling < threshold) continue;
    const name = index.names[nameIndex];
    const entry = index.entries[entryIndex];
    const evidence = evidenceFor(prepared, entry, weights);
    const score = finalScore(weighted, evidence);
    if (score >= threshold) {
      candidates.push({ listId: entry.listId, listVersion: entry.listVersion, entryId: entry.entryId, entry, name, weighted, evidence, score });
    }
  }
  candidates.sort((a, b) => b.score - a.score || a.listId.localeCompare(b.listId) || a.entryId.localeCompare(b.entryId));
  const { active, suppressed } = suppression
    ? partitionBySuppression(candidates, suppression.subjectKey, suppression.reviews)
    : { active: candidates, suppressed: [] };

  const explain = (candidate: ScoredCandidate): MatchResult => {
    const comparison = compareNameVariants(prepared.name, candidate.name.prepared, compareTokens, sharedWorkspace);
    return resultFor(candidate.entry, { listed: candidate.name.listed, comparison, weighted: candidate.weighted }, candidate.evidence, weights);
  };
  return {
    matches: active.slice(0, limit).map(explain),
    suppressed: suppressed.map(({ match, review }) => ({ match: explain(match), review })),
    namesCompared,
    fullScan,
  };
}
