const WEB_SCHEMES: Readonly<Record<string, string>> = {
  "http:": "http:",
  "ws:": "http:",
  "https:": "https:",
  "wss:": "https:",
};

/** The origin a client expects the relay to claim: the one of the URL it dialled (ws/wss count as http/https). */
export function relayOriginOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = WEB_SCHEMES[parsed.protocol];
  if (scheme === undefined) return undefined;
  return new URL(`${scheme}//${parsed.host}`).origin;
}
