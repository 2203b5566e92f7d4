"use client";
import { createContext, useContext } from "react";
import { useStore } from "zustand";
import type { Parley } from "../runtime/parley";
import type { AppState } from "./store";

/** The thin React binding: components select from the store and call runtime actions. */
export const ParleyContext = createContext<Parley | null>(null);

export function useParley(): Parley {
  const parley = useContext(ParleyContext);
  if (parley === null) throw new Error("useParley: no ParleyContext provider above this component");
  return parley;
}

export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useParley().store, selector);
}
