/**
 * The one way wire validators read an untrusted object: only own keys, never
 * anything inherited through `__proto__`. JSON.parse makes a `__proto__` key an
 * own key, so it is seen (and refused as unknown) rather than followed.
 */

/** A non-null, non-array object: the only shape a payload with named fields can have. */
export function isPlainObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value[key]` when `value` is a plain object with that own key, else undefined. */
export function ownField(value: unknown, key: string): unknown {
  return isPlainObject(value) && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** The first own key of `value` that is not in `allowed`, or undefined when there is none. */
export function unknownKey(value: object, allowed: ReadonlySet<string>): string | undefined {
  return Object.keys(value).find((key) => !allowed.has(key));
}
