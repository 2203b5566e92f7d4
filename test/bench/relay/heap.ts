/**
 * What a server's JS heap holds, by kind of object, from a V8 heap snapshot
 * (the format of v8.writeHeapSnapshot): objects by constructor, closures by
 * function name, and V8's own kinds (strings, arrays, system objects).
 * Diffing two snapshots around N new connections gives each kind's bytes
 * and count per connection.
 */
import { readFileSync } from "node:fs";

type HeapSnapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
};

export type HeapKinds = Map<string, { count: number; bytes: number }>;

export function heapKinds(file: string): HeapKinds {
  const snapshot = JSON.parse(readFileSync(file, "utf8")) as HeapSnapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const kinds: HeapKinds = new Map();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]!] ?? "?";
    const name = strings[nodes[i + nameAt]!] ?? "?";
    const kind =
      type === "object" || type === "native"
        ? name
        : type === "closure"
          ? `${name === "" ? "(anonymous)" : name}() closure`
          : type === "hidden"
            ? "(system)"
            : type === "concatenated string" || type === "sliced string"
              ? "(string)"
              : `(${type})`;
    const entry = kinds.get(kind) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += nodes[i + sizeAt]!;
    kinds.set(kind, entry);
  }
  return kinds;
}

export type HeapGrowth = { readonly kind: string; readonly count: number; readonly bytes: number };

/** Per connection: what `after` holds beyond `before`, largest first. */
export function heapGrowth(before: HeapKinds, after: HeapKinds, connections: number): HeapGrowth[] {
  return [...after]
    .map(([kind, { count, bytes }]) => ({
      kind,
      count: (count - (before.get(kind)?.count ?? 0)) / connections,
      bytes: (bytes - (before.get(kind)?.bytes ?? 0)) / connections,
    }))
    .sort((a, b) => b.bytes - a.bytes);
}
