"use client";
import { useCallback, useState } from "react";
import { useParley } from "../state/use-app";

/**
 * Runs a runtime action from a button: the button is disabled while it runs
 * (so a double click cannot send two answers), and a failure becomes a notice
 * instead of an unhandled rejection.
 */
export function useAction(): { busy: boolean; run: (action: () => Promise<unknown>) => void } {
  const parley = useParley();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    (action: () => Promise<unknown>) => {
      setBusy(true);
      action()
        .catch((error: unknown) => {
          console.error("action failed", error);
          parley.store.setState({
            notice: `That did not work: ${error instanceof Error ? error.message : String(error)}`,
          });
        })
        .finally(() => setBusy(false));
    },
    [parley],
  );
  return { busy, run };
}
