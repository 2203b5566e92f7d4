/**
 * Small text helpers for the rule-based parser. Each extractor blanks out
 * what it understood (same length, so later indices stay valid) so that the
 * next one, chrono above all, does not read "30m" as a time or "May" as a month.
 */

export function blank(text: string, index: number, length: number): string {
  return text.slice(0, index) + " ".repeat(length) + text.slice(index + length);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  "forty-five": 45,
  "forty five": 45,
  sixty: 60,
  ninety: 90,
  few: 3,
  couple: 2,
  "couple of": 2,
};

/** Alternation for a regular expression, longest first so "forty five" wins over "forty". */
export const NUMBER_WORD_PATTERN = Object.keys(NUMBER_WORDS)
  .sort((a, b) => b.length - a.length)
  .map((w) => w.replace(" ", "\\s+"))
  .join("|");

/** A digit string or a number word; NaN for anything else. */
export function toNumber(token: string): number {
  const word = token.toLowerCase().replace(/\s+/g, " ");
  return Object.hasOwn(NUMBER_WORDS, word) ? NUMBER_WORDS[word]! : Number(token);
}

export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
