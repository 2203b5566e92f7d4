/** The calendar form's default date: a local YYYY-MM-DD for an instant, in the user's zone. */
export function localDateKey(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);
}
