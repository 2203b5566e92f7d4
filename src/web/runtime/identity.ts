import { generateIdentity } from "../../protocol/crypto";
import { displayNameSchema } from "../../protocol/messages";
import type { IdentityRow } from "../storage/rows";
import type { Runtime } from "./context";
import { loadIdentityRow } from "./view";

/** Making this browser's agent identity, once. */

export type NewIdentity =
  | { readonly code: "created"; readonly row: IdentityRow }
  /** Another tab onboarded first: its identity is the one to use. */
  | { readonly code: "adopted"; readonly row: IdentityRow }
  | { readonly code: "bad-name" };

export async function createIdentityRow(runtime: Runtime, name: string): Promise<NewIdentity> {
  const parsed = displayNameSchema.safeParse(name);
  if (!parsed.success) return { code: "bad-name" };
  const identity = generateIdentity();
  const row: IdentityRow = {
    id: "self",
    name: parsed.data,
    signingPublicKey: identity.signing.publicKey,
    signingSecretKey: identity.signing.secretKey,
    agreementPublicKey: identity.agreement.publicKey,
    agreementSecretKey: identity.agreement.secretKey,
    createdAt: runtime.now(),
  };
  // `add`, not `put`: keys another tab already stored must never be overwritten.
  const added = await runtime.db.identity.add(row).then(
    () => true,
    (error: unknown) => {
      if (error instanceof Error && error.name === "ConstraintError") return false;
      throw error;
    },
  );
  if (added) {
    void requestPersistentStorage();
    return { code: "created", row };
  }
  const stored = await loadIdentityRow(runtime);
  if (stored === undefined) throw new Error("createIdentityRow: the identity vanished after a conflicting write");
  return { code: "adopted", row: stored };
}

/** Asks the browser not to evict this origin's storage: it holds the only copy of the identity keys. */
async function requestPersistentStorage(): Promise<void> {
  // Typed locally: Node (tests) has no navigator.storage, browsers do.
  const storage = (globalThis as { navigator?: { storage?: { persist?: () => Promise<boolean> } } }).navigator?.storage;
  await storage?.persist?.().catch(() => false);
}
