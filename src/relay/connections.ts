import type { IncomingMessage } from "node:http";

/**
 * Connections per client IP on this instance. Behind load balancers the
 * socket's peer is the balancer, so with `trustProxyHops` = n the client is
 * the n-th address from the right of X-Forwarded-For (each trusted proxy
 * appends the address it saw); anything further left is the client's to forge.
 */
export function clientIp(request: IncomingMessage, trustProxyHops: number): string {
  const peer = request.socket.remoteAddress ?? "unknown";
  if (trustProxyHops <= 0) return peer;
  const header = request.headers["x-forwarded-for"];
  const list = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  return list[list.length - trustProxyHops] ?? peer;
}

export type ConnectionCounter = {
  /** Whether one more connection from `ip` stays within the limit. */
  admits(ip: string): boolean;
  /** Counts a connection; returns how to uncount it. */
  open(ip: string): () => void;
  count(ip: string): number;
};

export function createConnectionCounter(maxPerIp: number): ConnectionCounter {
  const open = new Map<string, number>();
  return {
    admits: (ip) => (open.get(ip) ?? 0) < maxPerIp,
    open(ip) {
      open.set(ip, (open.get(ip) ?? 0) + 1);
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        const left = (open.get(ip) ?? 1) - 1;
        if (left <= 0) open.delete(ip);
        else open.set(ip, left);
      };
    },
    count: (ip) => open.get(ip) ?? 0,
  };
}
