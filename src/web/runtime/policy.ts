import { DEFAULT_CONTACT_POLICY, describePolicy, parseContactPolicy, type ContactPolicy } from "../../agent";
import type { ContactPolicyView } from "../state/store";
import type { ContactRow } from "../storage/rows";

/** Reading a contact's stored policy: what the agent may do on its own for them. */

/**
 * The contact's policy, or the default when none is stored or the stored one
 * does not parse (written by another version, or damaged): failing closed,
 * since the default never accepts on its own, and saving replaces it.
 */
export function contactPolicyOf(row: ContactRow): ContactPolicy {
  if (row.policy === undefined) return DEFAULT_CONTACT_POLICY;
  const parsed = parseContactPolicy(row.policy);
  return parsed.ok ? parsed.value : DEFAULT_CONTACT_POLICY;
}

export function contactPolicyView(row: ContactRow): ContactPolicyView {
  const policy = contactPolicyOf(row);
  return { policy, description: describePolicy(policy) };
}
