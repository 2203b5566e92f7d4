import { blank, NUMBER_WORD_PATTERN, toNumber } from "./text";

/** Meeting lengths in words: "30 minutes", "30m", "an hour", "1.5 hours", "half an hour", "1h30". */

export const MIN_DURATION_MINUTES = 5;
export const MAX_DURATION_MINUTES = 8 * 60;

const DIGITS = "(\\d+(?:\\.\\d+)?)";
const WORD = `(${NUMBER_WORD_PATTERN})`;
const NUM = `(\\d+(?:\\.\\d+)?|${NUMBER_WORD_PATTERN})`;
// Single-letter units only after digits: "a m" must never be read as one minute ("I am free").
const HOURS = "(?:hours?|hrs?)";
const MINUTES = "(?:minutes?|mins?)";
// "in 30 minutes" is a start time, left for chrono; "for 30 minutes" is a length.
const FOR = "(?<!\\bin\\s+)(?:for\\s+)?";
const AND_MINUTES = `(?:\\s*(?:and\\s+)?(\\d+)\\s*(?:${MINUTES}|m)|(\\d{2}))?`;

type Rule = { readonly pattern: RegExp; readonly minutes: (m: RegExpExecArray) => number };

// Most specific first: "an hour and a half" must not be read as "an hour".
const RULES: readonly Rule[] = [
  { pattern: new RegExp(`\\b${FOR}${NUM}\\s+${HOURS}\\s+and\\s+a\\s+half\\b`, "i"), minutes: (m) => hours(m[1]) + 30 },
  { pattern: new RegExp(`\\b${FOR}${NUM}\\s+and\\s+a\\s+half\\s+${HOURS}\\b`, "i"), minutes: (m) => hours(m[1]) + 30 },
  { pattern: /\b(?<!\bin\s+)(?:for\s+)?(?:a\s+)?half[\s-]+(?:an\s+)?hour\b/i, minutes: () => 30 },
  { pattern: /\b(?<!\bin\s+)(?:for\s+)?(?:a\s+)?quarter\s+(?:of\s+)?(?:an\s+)?hour\b/i, minutes: () => 15 },
  {
    // "1h30", "1 hour 30 minutes", "1.5 hours", "2-hour"
    pattern: new RegExp(`\\b${FOR}${DIGITS}\\s*-?\\s*(?:${HOURS}|h)${AND_MINUTES}\\b`, "i"),
    minutes: (m) => hours(m[1]) + Number(m[2] ?? m[3] ?? 0),
  },
  {
    // "an hour", "two hours and 15 minutes"
    pattern: new RegExp(`\\b${FOR}${WORD}\\s*-?\\s*${HOURS}${AND_MINUTES}\\b`, "i"),
    minutes: (m) => hours(m[1]) + Number(m[2] ?? m[3] ?? 0),
  },
  { pattern: new RegExp(`\\b${FOR}${DIGITS}\\s*-?\\s*(?:${MINUTES}|m)\\b`, "i"), minutes: (m) => toNumber(m[1] ?? "") },
  { pattern: new RegExp(`\\b${FOR}${WORD}\\s*-?\\s*${MINUTES}\\b`, "i"), minutes: (m) => toNumber(m[1] ?? "") },
];

// A meeting that lasts days is not something this assistant books; say so rather than misread it.
const TOO_LONG = new RegExp(`\\bfor\\s+${NUM}\\s+(?:days?|weeks?|months?)\\b`, "i");

function hours(token: string | undefined): number {
  return toNumber(token ?? "") * 60;
}

export type DurationMatch =
  | { readonly kind: "none"; readonly text: string }
  | { readonly kind: "ok"; readonly minutes: number; readonly text: string }
  | { readonly kind: "bad"; readonly text: string };

/** The first duration in `text`, with that phrase blanked out of the returned text. */
export function extractDuration(text: string): DurationMatch {
  const tooLong = TOO_LONG.exec(text);
  if (tooLong) return { kind: "bad", text: blank(text, tooLong.index, tooLong[0].length) };
  let best: { match: RegExpExecArray; rule: Rule } | undefined;
  for (const rule of RULES) {
    const match = rule.pattern.exec(text);
    // Earliest phrase wins; among phrases at one position the rule order above decides.
    if (match && (best === undefined || match.index < best.match.index)) best = { match, rule };
  }
  if (best === undefined) return { kind: "none", text };
  const rest = blank(text, best.match.index, best.match[0].length);
  const minutes = Math.round(best.rule.minutes(best.match));
  if (!(minutes >= MIN_DURATION_MINUTES && minutes <= MAX_DURATION_MINUTES)) return { kind: "bad", text: rest };
  return { kind: "ok", minutes, text: rest };
}
