import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * What an operator watches, in Prometheus' text format at /metrics. One
 * registry per relay (not prom-client's global one), so relays started side by
 * side in one process (tests, benchmarks) count separately. Labels are closed
 * sets — rejection reasons are relay error codes or connection refusals —
 * never addresses or anything a client chooses.
 */
export type RelayMetrics = {
  readonly registry: Registry;
  readonly connections: Gauge;
  readonly stored: Counter;
  readonly delivered: Counter;
  readonly acked: Counter;
  readonly rejections: Counter<"reason">;
  readonly deliveryLatency: Histogram;
};

export function createRelayMetrics(depth: () => Promise<number>): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "parley_" });
  new Gauge({
    name: "parley_mailbox_depth",
    help: "Envelopes waiting in mailboxes (all instances share them in scaled mode)",
    registers: [registry],
    async collect() {
      // A scrape while storage is down reports no value rather than failing the whole scrape.
      this.set(await depth().catch(() => Number.NaN));
    },
  });
  return {
    registry,
    connections: new Gauge({
      name: "parley_connections",
      help: "Open sockets on this instance",
      registers: [registry],
    }),
    stored: new Counter({
      name: "parley_envelopes_stored_total",
      help: "Envelopes stored in a mailbox and acknowledged to their sender as stored",
      registers: [registry],
    }),
    delivered: new Counter({
      name: "parley_envelopes_delivered_total",
      help: "Envelopes handed to a recipient socket on this instance (mailbox drains and live pushes)",
      registers: [registry],
    }),
    acked: new Counter({
      name: "parley_envelopes_acked_total",
      help: "Envelopes acknowledged by their recipient and deleted from its mailbox",
      registers: [registry],
    }),
    rejections: new Counter({
      name: "parley_rejections_total",
      help: "Events and connections refused, by reason",
      labelNames: ["reason"],
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: "parley_delivery_latency_seconds",
      help: "Time from an envelope being stored to its recipient acknowledging it",
      // Clients hold acks up to ACK_DELAY_MS (RL8), so an online recipient's envelopes land around a quarter second.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 60, 600, 3600, 86_400],
      registers: [registry],
    }),
  };
}
