"use client";
import { Component, type ReactNode } from "react";

type State = { readonly error: Error | undefined };

/**
 * A failure while drawing one section shows a message there instead of
 * blanking the whole app; nothing stored is affected, so switching sections
 * or reloading recovers.
 */
export class SectionBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: undefined };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown): void {
    console.error("SectionBoundary: a section failed to draw", error);
  }

  override render(): ReactNode {
    if (this.state.error === undefined) return this.props.children;
    return (
      <div role="alert">
        <p>This section could not be shown: {this.state.error.message}</p>
        <button onClick={() => window.location.reload()}>Reload</button>
      </div>
    );
  }
}
