/**
 * Summarises a V8 CPU profile (the `.cpuprofile` format of --cpu-prof and
 * the inspector's Profiler domain): self time by function and by component
 * (npm package, Parley source file, Node core module, V8), and inclusive time
 * of Parley's own functions.
 */
type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
export type CpuProfile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
};

export type Timed = { readonly name: string; readonly ms: number };
export type ProfileSummary = {
  /** How long the profiler ran. */
  readonly sampledMs: number;
  /** Sampled time the main thread was not idle (the profiler's own start and stop excluded). */
  readonly busyMs: number;
  readonly functions: readonly Timed[];
  /** Self time by owner: Node-core and native time charged to the package or Parley file that called it. */
  readonly components: readonly Timed[];
  /** Parley functions with everything they call. */
  readonly parleyInclusive: readonly Timed[];
};

const SPECIAL = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

function shortUrl(url: string): string {
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) return url.slice(modules + "/node_modules/".length);
  const src = url.indexOf("/src/");
  if (src >= 0) return url.slice(src + 1);
  const test = url.indexOf("/test/");
  if (test >= 0) return url.slice(test + 1);
  return url.replace(/^file:\/\//, "");
}

export function componentOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") {
    if (functionName === "(garbage collector)") return "V8 garbage collector";
    if (functionName === "(program)") return "V8/native, unattributed (program)";
    if (SPECIAL.has(functionName)) return functionName;
    return "V8 builtins (JSON, RegExp, Buffer…)";
  }
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const parts = url.slice(modules + "/node_modules/".length).split("/");
    const name = parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1] ?? ""}` : (parts[0] ?? "?");
    return `npm ${name}`;
  }
  if (url.includes("/src/")) return `parley ${shortUrl(url)}`;
  if (url.includes("/test/")) return `bench ${shortUrl(url)}`;
  if (url.startsWith("node:")) {
    const module = url.replace(/^node:(internal\/)?/, "").split("/")[0] ?? url;
    return `node ${module}`;
  }
  return shortUrl(url);
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
  if (frame.url === "") return name;
  return `${name}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

const sortedTimes = (map: Map<string, number>): Timed[] =>
  [...map].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);

/** Whose code a frame is: an npm package, a Parley (or benchmark) file, or undefined for Node core and V8. */
function ownerOf(frame: CallFrame): string | undefined {
  const { url } = frame;
  if (url.includes("/node_modules/") || url.includes("/src/") || url.includes("/test/")) return componentOf(frame);
  return undefined;
}

export function summariseProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);

  /** Samples inside the inspector's own calls (starting and stopping this profile) are not the relay's work. */
  const excluded = new Map<number, boolean>();
  const isExcluded = (node: ProfileNode): boolean => {
    const known = excluded.get(node.id);
    if (known !== undefined) return known;
    const parent = parentOf.get(node.id);
    const value = node.callFrame.url === "node:inspector" || (parent !== undefined && isExcluded(parent));
    excluded.set(node.id, value);
    return value;
  };
  /**
   * Native and Node-core time is charged to the nearest package or Parley file on the stack that called it:
   * the write syscall of a WebSocket frame to ws, Buffer.byteLength of a log line to sonic-boom.
   */
  const owners = new Map<number, string>();
  const ownerOfNode = (node: ProfileNode): string => {
    const known = owners.get(node.id);
    if (known !== undefined) return known;
    let owner: string | undefined;
    if (SPECIAL.has(node.callFrame.functionName)) owner = componentOf(node.callFrame);
    for (let at: ProfileNode | undefined = node; owner === undefined && at !== undefined; at = parentOf.get(at.id)) {
      owner = ownerOf(at.callFrame);
    }
    const value = owner ?? componentOf(node.callFrame);
    owners.set(node.id, value);
    return value;
  };

  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: charge it to this one.
    const id = samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0));
  }

  const functions = new Map<string, number>();
  const components = new Map<string, number>();
  let busyUs = 0;
  let excludedUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === "(idle)") continue;
    if (isExcluded(node)) {
      excludedUs += us;
      continue;
    }
    busyUs += us;
    const key = functionKey(node.callFrame);
    functions.set(key, (functions.get(key) ?? 0) + us / 1000);
    const component = ownerOfNode(node);
    components.set(component, (components.get(component) ?? 0) + us / 1000);
  }

  // Inclusive time of Parley functions, counting each function once per stack (no double counting of recursion).
  const inclusive = new Map<string, number>();
  const total = (node: ProfileNode, onStack: Set<string>): number => {
    if (isExcluded(node)) return 0;
    const key = functionKey(node.callFrame);
    const parley = node.callFrame.url.includes("/src/");
    const counts = parley && !onStack.has(key);
    if (counts) onStack.add(key);
    let us = selfUs.get(node.id) ?? 0;
    for (const child of node.children ?? []) {
      const next = byId.get(child);
      if (next !== undefined) us += total(next, onStack);
    }
    if (counts) {
      onStack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us / 1000);
    }
    return us;
  };
  const root = profile.nodes[0];
  if (root !== undefined) total(root, new Set());

  return {
    sampledMs: (profile.endTime - profile.startTime - excludedUs) / 1000,
    busyMs: busyUs / 1000,
    functions: sortedTimes(functions),
    components: sortedTimes(components),
    parleyInclusive: sortedTimes(inclusive),
  };
}
