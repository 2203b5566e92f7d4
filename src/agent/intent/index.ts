/** The built-in rule-based command parser (the LLM tool loop will live beside it). */
export { parseCommand, MAX_COMMAND_CHARS, DEFAULT_DURATION_MINUTES, DEFAULT_WINDOW_DAYS } from "./parse";
export { MIN_DURATION_MINUTES, MAX_DURATION_MINUTES } from "./duration";
export type {
  Contact,
  ExplainIntent,
  Intent,
  IntentError,
  IntentErrorCode,
  ManageIntent,
  ParseContext,
  ScheduleIntent,
} from "./types";
