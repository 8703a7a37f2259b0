/** Where an import went wrong, precisely enough to open the file at that spot. */
export interface ImportIssue {
  readonly file: string;
  /** "line 12", "line 12, column 3 (SDN_Type)", "CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL[3]/DATAID". */
  readonly location: string;
  readonly expected: string;
  readonly found?: string;
}

/** Something imported with a caveat (unparsed free text, an empty record) — reported, never hidden. */
export interface ImportWarning {
  readonly file: string;
  readonly location: string;
  readonly message: string;
}

export function describeIssue(issue: ImportIssue): string {
  const found = issue.found === undefined ? "" : `, found ${issue.found}`;
  return `${issue.file}: ${issue.location}: expected ${issue.expected}${found}`;
}

/** Thrown when a list file is malformed. Carries every problem found, not just the first. */
export class SanctionsImportError extends Error {
  readonly issues: readonly ImportIssue[];

  constructor(issues: readonly ImportIssue[]) {
    const shown = issues.slice(0, 20).map(describeIssue);
    const more = issues.length > shown.length ? [`… and ${issues.length - shown.length} more`] : [];
    super([`sanctions list import failed with ${issues.length} problem(s):`, ...shown, ...more].join("\n"));
    this.name = "SanctionsImportError";
    this.issues = issues;
  }
}

/** Collects issues while a file is read, then fails once with all of them. */
export class IssueCollector {
  private readonly issues: ImportIssue[] = [];
  readonly warnings: ImportWarning[] = [];

  add(issue: ImportIssue): void {
    this.issues.push(issue);
  }

  warn(warning: ImportWarning): void {
    this.warnings.push(warning);
  }

  get count(): number {
    return this.issues.length;
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new SanctionsImportError(this.issues);
  }
}

/** Shows a value in an error message, shortened and quoted. */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
