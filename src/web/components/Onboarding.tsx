"use client";
import { useState, type FormEvent } from "react";
import { DISPLAY_NAME_MAX } from "../../protocol/messages";
import { useApp, useParley } from "../state/use-app";
import { Notice } from "./Notice";
import { useAction } from "./use-action";

export function Onboarding() {
  const parley = useParley();
  const pending = useApp((s) => s.pendingInvite);
  const [name, setName] = useState("");
  const { busy, run } = useAction();

  function submit(event: FormEvent) {
    event.preventDefault();
    run(() => parley.createIdentity(name));
  }

  return (
    <main className="onboarding">
      <h1>Welcome to Parley</h1>
      <p>
        Your agent arranges meetings by talking to other people&apos;s agents. Your keys, contacts and calendar stay in
        this browser; messages between agents are end-to-end encrypted.
      </p>
      {pending && (
        <p className="invited">
          <strong>{pending.inviterName}</strong> invited you. Choose your name to connect.
        </p>
      )}
      <Notice />
      <form onSubmit={submit}>
        <label htmlFor="display-name">Your name</label>
        <input
          id="display-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={DISPLAY_NAME_MAX}
          autoComplete="name"
          required
        />
        <button type="submit" disabled={busy || name.trim().length === 0}>
          Create my agent
        </button>
      </form>
    </main>
  );
}
