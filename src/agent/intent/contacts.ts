import { blank, escapeRegExp } from "./text";
import type { Contact } from "./types";

/**
 * Who a command is about: a contact whose full or first name appears in the
 * text as a whole word, any case; the longest matching name wins, so "Alice
 * Smith" beats "Alice" and "Ann" never matches inside "Anne".
 */

export type ContactMatch =
  | { readonly kind: "found"; readonly contact: Contact; readonly text: string; readonly at: number }
  | { readonly kind: "ambiguous"; readonly name: string; readonly candidates: readonly Contact[] }
  | { readonly kind: "none" };

// Letters and digits of any script count as word characters, so names like "Zoë" or "José" match whole.
const wordPattern = (name: string): RegExp =>
  new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(name).replace(/\s+/g, "\\s+")}(?![\\p{L}\\p{N}_])`, "giu");

function namesOf(contact: Contact): string[] {
  const full = contact.name.trim();
  const first = full.split(/\s+/)[0] ?? "";
  return first !== full && first.length >= 2 ? [full, first] : [full];
}

export function matchContact(text: string, contacts: readonly Contact[]): ContactMatch {
  let best: { contact: Contact; pattern: RegExp; length: number; name: string; at: number } | undefined;
  let rivals: Contact[] = [];
  for (const contact of contacts) {
    for (const name of namesOf(contact)) {
      if (name.length === 0) continue;
      const pattern = wordPattern(name);
      const match = pattern.exec(text);
      if (match === null) continue;
      const length = match[0].length;
      if (best === undefined || length > best.length) {
        best = { contact, pattern, length, name: match[0], at: match.index };
        rivals = [];
      } else if (
        // Only a rival for the same words: another name elsewhere in the text is another person (matchContacts).
        length === best.length &&
        match.index === best.at &&
        contact.id !== best.contact.id &&
        !rivals.includes(contact)
      ) {
        rivals.push(contact);
      }
      break; // a contact's full name outranks its own first name
    }
  }
  if (best === undefined) return { kind: "none" };
  if (rivals.length > 0) return { kind: "ambiguous", name: best.name, candidates: [best.contact, ...rivals] };
  let rest = text;
  best.pattern.lastIndex = 0;
  for (const match of text.matchAll(best.pattern)) rest = blank(rest, match.index, match[0].length);
  return { kind: "found", contact: best.contact, text: rest, at: best.at };
}

export type ContactsMatch =
  | { readonly kind: "found"; readonly contacts: readonly Contact[]; readonly text: string }
  | Exclude<ContactMatch, { kind: "found" }>;

/** Every contact a command names ("meet Bob and Carol"), in the order found, each name blanked out of the text. */
export function matchContacts(text: string, contacts: readonly Contact[]): ContactsMatch {
  const first = matchContact(text, contacts);
  if (first.kind !== "found") return first;
  const found = [first.contact];
  const at = [first.at];
  let rest = first.text;
  for (;;) {
    const next = matchContact(
      rest,
      contacts.filter((c) => !found.some((f) => f.id === c.id)),
    );
    if (next.kind === "ambiguous") return next;
    if (next.kind === "none") {
      // Longest names match first; the people are listed as the human wrote them.
      const order = found.map((contact, i) => ({ contact, at: at[i]! })).sort((a, b) => a.at - b.at);
      return { kind: "found", contacts: order.map((o) => o.contact), text: rest };
    }
    found.push(next.contact);
    at.push(next.at);
    rest = next.text;
  }
}

// Capitalised words after "with"/"meet" that are not people: dates, pronouns, meeting words.
const NOT_NAMES = new Set(
  (
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun " +
    "january february march april may june july august september october november december " +
    "jan feb mar apr jun jul aug sep sept oct nov dec " +
    "today tomorrow tonight next this the a an me us my our him her them you everyone someone anyone " +
    "noon midnight morning afternoon evening lunch coffee breakfast dinner call sync in on at for"
  ).split(" "),
);

/** A capitalised name after "with" or "meet", for telling the human who is not a contact yet. */
export function unknownName(text: string): string | undefined {
  for (const match of text.matchAll(/(?<![\p{L}\p{N}])(?:[Ww]ith|[Mm]eet)\s+(\p{Lu}[\p{L}\p{M}'’-]*)/gu)) {
    const name = match[1];
    if (name !== undefined && !NOT_NAMES.has(name.toLowerCase())) return name.slice(0, 80);
  }
  return undefined;
}
