"use client";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useApp, useParley } from "../state/use-app";
import { useAction } from "./use-action";

export function Assistant() {
  const parley = useParley();
  const chat = useApp((s) => s.chat);
  const [text, setText] = useState("");
  const { busy, run } = useAction();
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [chat.length]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const line = text;
    setText("");
    run(() => parley.say(line));
  }

  return (
    <section className="assistant">
      <ol className="chat" aria-label="Conversation with your agent" aria-live="polite">
        {chat.length === 0 && (
          <li className="agent">
            Tell me what to arrange, e.g. &ldquo;meet Alice tomorrow at 3pm for 30 minutes&rdquo; or &ldquo;find 30
            minutes with Alice next week&rdquo;.
          </li>
        )}
        {chat.map((entry) => (
          <li key={entry.id} className={entry.author}>
            {entry.text}
          </li>
        ))}
        <li ref={end} aria-hidden="true" />
      </ol>
      <form onSubmit={submit} className="say">
        <label htmlFor="say" className="visually-hidden">
          Message your agent
        </label>
        <input
          id="say"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="Find 30 minutes with…"
          maxLength={500}
        />
        <button type="submit" disabled={busy || text.trim().length === 0}>
          Send
        </button>
      </form>
    </section>
  );
}
