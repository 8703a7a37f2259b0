import type { z } from "zod";

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "text", object: "an object", array: "a list", number: "a number", boolean: "true or false",
};

/** What a failed zod check expected, phrased for an import error: the schema's own message when it has one. */
export function zodExpectation(issue: z.core.$ZodIssue, typeWords: Readonly<Record<string, string>> = TYPE_WORDS): string {
  const hasDefaultMessage = issue.message.startsWith("Invalid input");
  if (issue.code === "invalid_type" && hasDefaultMessage) {
    return Object.hasOwn(typeWords, issue.expected) ? typeWords[issue.expected] : issue.expected;
  }
  return issue.message;
}
