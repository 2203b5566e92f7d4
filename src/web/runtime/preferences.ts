import { parsePreferences } from "../../agent";
import type { Runtime } from "./context";
import { refresh } from "./view";

/** The human's scheduling preferences, stored on this device only (read with `readPreferences`). */

/** Validates and stores; returns what to tell the human. */
export async function savePreferences(runtime: Runtime, value: unknown): Promise<string> {
  const parsed = parsePreferences(value);
  if (!parsed.ok) return `Those preferences were not saved: ${parsed.error.issues.slice(0, 3).join("; ")}.`;
  await runtime.db.settings.put({ id: "preferences", value: parsed.value, updatedAt: runtime.now() });
  await refresh(runtime, { announce: true });
  return "Preferences saved. Your agent uses them from now on.";
}
