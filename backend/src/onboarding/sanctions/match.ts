import { type PartialDate, parsePartialIsoDate } from "../calendar-date";
import type { CountryRef } from "../countries";
import { birthDateEvidence, countryEvidence, type EvidenceOutcome, queryCountry } from "./evidence";
import type { MatchResult } from "./match-result";
import type { EntryKind, ListedName, NameQuality, SanctionsEntry } from "./model";
import { compareNameVariants, explainComparison, type NameComparison, type PreparedName, prepareName } from "./name-similarity";
import { IndexedNameScorer } from "./indexed-name-scorer";
import { blockingKeys, compareTokens, MAX_SCORE_WITHOUT_SHARED_KEY, prepareToken, type PreparedToken } from "./name-tokens";
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
 * The names worth comparing: those sharing a blocking key with a query token. Lossless when the
 * threshold exceeds what a name without any shared key can score (0.6 plus the largest bonuses);
 * otherwise every name is compared.
 */
function candidateNames(query: PreparedQuery, index: ScreeningIndex, threshold: number, weights: ScoringWeights): { names: number[]; fullScan: boolean } {
  const ceilingWithoutSharedKey = MAX_SCORE_WITHOUT_SHARED_KEY + weights.dobMatchBonus + weights.countryMatchBonus;
  if (threshold <= ceilingWithoutSharedKey) return { names: index.names.map((_, nameIndex) => nameIndex), fullScan: true };
  const seen = new Uint8Array(index.names.length);
  const names: number[] = [];
  for (const variant of query.name.variants) {
    for (const token of variant) {
      for (const key of blockingKeys(token)) {
        for (const nameIndex of index.namesByBlockingKey.get(key) ?? []) {
          if (seen[nameIndex]) continue;
          seen[nameIndex] = 1;
          names.push(nameIndex);
        }
      }
    }
  }
  return { names, fullScan: false };
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

/** Screens a subject against an index: top candidates at or above the threshold, best first. */
export function screen(query: ScreeningQuery, index: ScreeningIndex, options: ScreeningOptions = {}): ScreeningResult {
  const { threshold, limit, weights, suppression } = screeningOptionsSchema.parse(options);
  const prepared = prepareQuery(query, (text) => {
    const id = index.tokenIds.get(text);
    return id === undefined ? prepareToken(text) : index.vocabulary[id];
  });
  const { names, fullScan } = candidateNames(prepared, index, threshold, weights);

  const scorer = new IndexedNameScorer(prepared.name, index.vocabulary);
  // Best name per entry, in flat arrays (no per-name allocation); `touched` keeps first-seen order.
  const bestWeighted = new Float64Array(index.entries.length).fill(-1);
  const bestName = new Int32Array(index.entries.length);
  const touched: number[] = [];
  let namesCompared = 0;
  for (const nameIndex of names) {
    const name = index.names[nameIndex];
    const entryIndex = name.entryIndex;
    const kind = index.entries[entryIndex].kind;
    if (prepared.kind !== undefined && kind !== "unknown" && kind !== prepared.kind) continue;
    namesCompared++;
    const weighted = scorer.score(name) * aliasWeight(name.listed.quality, weights);
    const best = bestWeighted[entryIndex];
    if (best < 0) touched.push(entryIndex);
    // Ties go to the name listed first, as in scoreEntry.
    if (weighted > best || (weighted === best && nameIndex < bestName[entryIndex])) {
      bestWeighted[entryIndex] = weighted;
      bestName[entryIndex] = nameIndex;
    }
  }

  const candidates: ScoredCandidate[] = [];
  // Birth date and country can add at most their bonuses: entries that cannot reach the threshold
  // even with both are skipped before their evidence is read (the result is the same).
  const evidenceCeiling = weights.dobMatchBonus + weights.countryMatchBonus;
  for (const entryIndex of touched) {
    const weighted = bestWeighted[entryIndex];
    if (weighted + evidenceCeiling < threshold) continue;
    const name = index.names[bestName[entryIndex]];
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

  const workspace = new AlignmentWorkspace();
  const explain = (candidate: ScoredCandidate): MatchResult => {
    const comparison = compareNameVariants(prepared.name, candidate.name.prepared, compareTokens, workspace);
    return resultFor(candidate.entry, { listed: candidate.name.listed, comparison, weighted: candidate.weighted }, candidate.evidence, weights);
  };
  return {
    matches: active.slice(0, limit).map(explain),
    suppressed: suppressed.map(({ match, review }) => ({ match: explain(match), review })),
    namesCompared,
    fullScan,
  };
}
