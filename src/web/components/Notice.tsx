"use client";
import { useApp, useParley } from "../state/use-app";

/** One line for the human about what just happened, dismissable. */
export function Notice() {
  const notice = useApp((s) => s.notice);
  const parley = useParley();
  if (notice === undefined) return null;
  return (
    <div className="notice" role="status">
      <span>{notice}</span>
      <button aria-label="Dismiss" onClick={parley.dismissNotice}>
        ×
      </button>
    </div>
  );
}
