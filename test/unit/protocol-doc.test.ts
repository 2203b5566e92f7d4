import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * docs/protocol.md and the tests must name the same rules: every rule ID
 * defined there is cited by some test (in a title, `[EN3]`, or as the first
 * column of a table-driven test, `"EN3"`), and no test cites an undefined ID.
 */
const root = path.resolve(import.meta.dirname, "../..");
const RULE_ID = /^[A-Z]{2,3}\d+$/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? testFiles(full) : entry.name.endsWith(".ts") ? [full] : [];
  });
}

const documented = new Set(
  [...readFileSync(path.join(root, "docs/protocol.md"), "utf8").matchAll(/\*\*([A-Z]{2,3}\d+)\*\*/g)].map((m) => m[1]!),
);
const cited = new Set<string>();
for (const file of testFiles(path.join(root, "test"))) {
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(/\[([A-Z]{2,3}\d+)\]|"([A-Z]{2,3}\d+)"/g)) {
    const id = match[1] ?? match[2]!;
    if (RULE_ID.test(id)) cited.add(id);
  }
}

describe("docs/protocol.md", () => {
  it("defines rules at all", () => {
    expect(documented.size).toBeGreaterThan(100);
  });

  it("has every rule cited by a test", () => {
    expect([...documented].filter((id) => !cited.has(id)).sort()).toEqual([]);
  });

  it("defines every rule a test cites", () => {
    expect([...cited].filter((id) => !documented.has(id)).sort()).toEqual([]);
  });
});
