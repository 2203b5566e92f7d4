import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

/**
 * The deployment files in infrastructure/ cannot be exercised here (no Docker
 * daemon, no cloud), so this checks what can be checked without them: that
 * they parse, say what the relay needs, and agree with docs/self-hosting.md.
 */
const root = path.resolve(import.meta.dirname, "../..");
const infra = path.join(root, "infrastructure");
const terraformDir = path.join(infra, "terraform");
const read = (...parts: string[]): string => readFileSync(path.join(...parts), "utf8");
const selfHosting = read(root, "docs/self-hosting.md");

type Obj = Record<string, unknown>;

function obj(value: unknown, what: string): Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${what}: not an object`);
  return value as Obj;
}

function objects(value: unknown, what: string): Obj[] {
  if (!Array.isArray(value)) throw new Error(`${what}: not a list`);
  return value.map((item, index) => obj(item, `${what}[${index}]`));
}

/** hcl2json writes every block as a list, even one that may appear only once. */
function block(value: unknown, what: string): Obj {
  const [only, ...rest] = objects(value, what);
  if (only === undefined || rest.length > 0) throw new Error(`${what}: expected exactly one block`);
  return only;
}

/** `{ name: [ {...} ] }`, the shape of variables, outputs and each resource type's resources. */
function named(value: unknown, what: string): Map<string, Obj> {
  return new Map(Object.entries(obj(value ?? {}, what)).map(([name, body]) => [name, block(body, `${what}.${name}`)]));
}

/** A documented variable has a row in a table of docs/self-hosting.md: "| `NAME` | default | meaning |". */
const documented = (name: string): boolean => new RegExp(`^\\| \`${name}\` \\|`, "m").test(selfHosting);

describe("infrastructure/terraform", () => {
  const files = readdirSync(terraformDir)
    .filter((name) => name.endsWith(".tf"))
    .sort();
  const variables = new Map<string, Obj>();
  const outputs = new Map<string, Obj>();
  const locals: Obj = {};
  const resources = new Map<string, Map<string, Obj>>();

  beforeAll(async () => {
    for (const file of files) {
      const json = await parseHcl(file, read(terraformDir, file));
      for (const [name, body] of named(json["variable"], `${file} variable`)) variables.set(name, body);
      for (const [name, body] of named(json["output"], `${file} output`)) outputs.set(name, body);
      for (const body of json["locals"] === undefined ? [] : objects(json["locals"], `${file} locals`)) {
        Object.assign(locals, body);
      }
      for (const [type, byName] of Object.entries(obj(json["resource"] ?? {}, `${file} resource`))) {
        const known = resources.get(type) ?? new Map<string, Obj>();
        for (const [name, body] of named(byName, `${file} ${type}`)) known.set(name, body);
        resources.set(type, known);
      }
    }
  });

  /** A string attribute with `${local.x}` replaced by the local's own expression. */
  const expand = (value: unknown): string =>
    String(value).replace(/\$\{local\.(\w+)\}/g, (_, name: string) => String(locals[name] ?? `<no local ${name}>`));

  const only = (type: string): Obj => {
    const all = [...(resources.get(type)?.values() ?? [])];
    expect(all, `one ${type}`).toHaveLength(1);
    return all[0]!;
  };

  const container = (): Obj => {
    const template = block(only("google_cloud_run_v2_service")["template"], "template");
    return block(template["containers"], "template.containers");
  };

  it("has the files it is documented to have", () => {
    expect(files).toEqual(expect.arrayContaining(["main.tf", "outputs.tf", "variables.tf", "versions.tf"]));
  });

  it.each(readdirSync(terraformDir).filter((name) => name.endsWith(".tf")))("%s parses as HCL", async (file) => {
    await expect(parseHcl(file, read(terraformDir, file))).resolves.toBeTypeOf("object");
  });

  it("pins the google provider to a major version", async () => {
    const json = await parseHcl("versions.tf", read(terraformDir, "versions.tf"));
    const terraform = block(json["terraform"], "terraform");
    const providers = block(terraform["required_providers"], "required_providers");
    const google = obj(providers["google"], "google");
    expect(google["source"]).toBe("hashicorp/google");
    expect(google["version"]).toMatch(/^~> [56]\.\d+$/);
  });

  it("gives every variable a type and a description", () => {
    expect(variables.size).toBeGreaterThan(5);
    for (const [name, body] of variables) {
      expect(body["type"], `variable ${name} type`).toBeTypeOf("string");
      expect(String(body["description"] ?? "").length, `variable ${name} description`).toBeGreaterThan(10);
    }
    for (const required of ["project_id", "region", "image", "public_origin", "allowed_origins"]) {
      expect(variables.has(required), `variable ${required}`).toBe(true);
    }
  });

  it("outputs the service URL and the Redis host", () => {
    const values = [...outputs.values()].map((body) => String(body["value"]));
    expect(values).toContainEqual(expect.stringMatching(/^\$\{google_cloud_run_v2_service\.\w+\.uri\}$/));
    expect(values).toContainEqual(expect.stringMatching(/^\$\{google_redis_instance\.\w+\.host\}$/));
    expect(outputs.has("service_url") && outputs.has("redis_host")).toBe(true);
  });

  it("runs the image on container port 3000 with REDIS_URL from the Memorystore instance", () => {
    const main = container();
    expect(main["image"]).toBe("${var.image}");
    expect(block(main["ports"], "ports")["container_port"]).toBe(3000);
    const env = new Map(objects(main["env"], "env").map((entry) => [String(entry["name"]), entry["value"]]));
    const redis = [...(resources.get("google_redis_instance")?.keys() ?? [])];
    expect(redis).toHaveLength(1);
    expect(expand(env.get("REDIS_URL"))).toBe(
      `redis://\${google_redis_instance.${redis[0]}.host}:\${google_redis_instance.${redis[0]}.port}`,
    );
    // Cloud Run sets PORT itself from container_port and refuses a PORT variable.
    expect(env.has("PORT")).toBe(false);
    for (const name of env.keys()) expect(documented(name), `${name} documented`).toBe(true);
  });

  it("probes /readyz at start-up and /healthz for liveness, without session affinity", () => {
    const main = container();
    const probePath = (probe: string): unknown =>
      block(block(main[probe], probe)["http_get"], `${probe}.http_get`)["path"];
    expect(probePath("startup_probe")).toBe("/readyz");
    expect(probePath("liveness_probe")).toBe("/healthz");
    const template = block(only("google_cloud_run_v2_service")["template"], "template");
    expect(template["session_affinity"] ?? false).toBe(false);
  });

  it("reaches Redis over the VPC, and keeps Redis from evicting mailboxes", () => {
    const template = block(only("google_cloud_run_v2_service")["template"], "template");
    const vpc = block(template["vpc_access"], "vpc_access");
    expect(vpc["network_interfaces"] ?? vpc["connector"]).toBeDefined();
    const redis = only("google_redis_instance");
    expect(redis["authorized_network"]).toMatch(/google_compute_network\.\w+\.id/);
    expect(obj(redis["redis_configs"], "redis_configs")["maxmemory-policy"]).toBe("noeviction");
  });
});

describe("infrastructure/compose.yaml", () => {
  // Docker Compose resolves YAML merge keys (`<<: *relay`); so must the parser.
  const compose = obj(parseYaml(read(infra, "compose.yaml"), { merge: true }), "compose.yaml");
  const services = new Map(Object.entries(obj(compose["services"], "services")).map(([k, v]) => [k, obj(v, k)]));
  const environment = (service: Obj): Obj => obj(service["environment"] ?? {}, "environment");
  const relays = [...services].filter(([, service]) => environment(service)["REDIS_URL"] !== undefined);

  it("runs two relays against Redis, built from the Dockerfile", () => {
    expect(relays.map(([name]) => name).sort()).toEqual(["relay-1", "relay-2"]);
    for (const [name, relay] of relays) {
      expect(environment(relay)["REDIS_URL"], name).toBe("redis://redis:6379");
      expect(environment(relay)["TRUST_PROXY_HOPS"], name).toBe("1");
      expect(environment(relay)["PUBLIC_ORIGIN"], name).toBe("http://localhost:8080");
      expect(obj(relay["build"], "build")["dockerfile"]).toBe("infrastructure/Dockerfile");
      const dependsOn = obj(obj(relay["depends_on"], "depends_on")["redis"], "depends_on.redis");
      expect(dependsOn["condition"]).toBe("service_healthy");
      for (const variable of Object.keys(environment(relay))) {
        expect(documented(variable), `${variable} documented`).toBe(true);
      }
    }
  });

  it("gives a drain time to finish before Docker kills a relay", () => {
    for (const [name, relay] of relays) {
      const grace = Number(environment(relay)["SHUTDOWN_GRACE_MS"] ?? 10_000);
      const stop = /^(\d+)s$/.exec(String(relay["stop_grace_period"]));
      expect(stop, `${name} stop_grace_period in seconds`).not.toBeNull();
      expect(Number(stop![1]) * 1000).toBeGreaterThan(grace);
    }
  });

  it("runs Redis with the append-only file on a volume", () => {
    const redis = services.get("redis");
    expect(redis).toBeDefined();
    expect(String(redis!["image"])).toMatch(/^redis:7/);
    const command = [redis!["command"]].flat().join(" ");
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--appendfsync everysec/);
    expect(obj(redis!["healthcheck"], "healthcheck")["test"]).toBeDefined();
    expect([redis!["volumes"]].flat().join(" ")).toMatch(/:\/data$/);
  });

  it("publishes a port through a load balancer that mounts nginx.conf and waits for healthy relays", () => {
    const balancers = [...services].filter(([, service]) => Array.isArray(service["ports"]));
    expect(balancers).toHaveLength(1);
    const [, lb] = balancers[0]!;
    expect((lb["ports"] as unknown[]).map(String)).toContainEqual(expect.stringMatching(/:8080$/));
    expect([lb["volumes"]].flat().join(" ")).toMatch(/\.\/nginx\.conf:\/etc\/nginx\/nginx\.conf/);
    const dependsOn = obj(lb["depends_on"], "depends_on");
    for (const [name] of relays) expect(obj(dependsOn[name], name)["condition"]).toBe("service_healthy");
  });
});

describe("infrastructure/nginx.conf", () => {
  // Directives only: comments may mention what the file deliberately does not do.
  const conf = read(infra, "nginx.conf").replace(/#.*$/gm, "");

  it("carries WebSockets to both relays", () => {
    expect(conf).toMatch(/proxy_http_version 1\.1;/);
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(conf).toMatch(/server relay-1:3000\b/);
    expect(conf).toMatch(/server relay-2:3000\b/);
    expect(conf).toMatch(/proxy_read_timeout \d+[hm];/);
  });

  it("passes what the relay reads about the client", () => {
    expect(conf).toMatch(/proxy_set_header Host \$http_host;/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-Proto \$scheme;/);
  });

  it("uses no sticky sessions", () => {
    expect(conf).not.toMatch(/\b(ip_hash|sticky|hash \$)/);
  });
});

describe("infrastructure/Dockerfile", () => {
  // Continuation lines joined, comments dropped: one instruction per entry.
  const instructions = read(infra, "Dockerfile")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
  const all = (keyword: string): string[] => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

  it("builds in one stage and runs from another", () => {
    expect(all("FROM").length).toBeGreaterThanOrEqual(2);
    expect(all("FROM")[0]).toMatch(/^node:20-bookworm-slim AS build$/);
    expect(all("RUN").join("\n")).toMatch(/npm run build/);
    expect(all("RUN").join("\n")).toMatch(/npm ci --omit=dev/);
  });

  it("runs as a non-root user with a health check on /healthz", () => {
    const user = all("USER").at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(all("HEALTHCHECK").join(" ")).toMatch(/\/healthz/);
    expect(all("EXPOSE")).toContain("3000");
  });

  it("starts main.ts, which never builds the app", () => {
    const cmd = all("CMD").at(-1);
    expect(JSON.parse(cmd ?? "[]")).toEqual(["node", "--import", "tsx", "src/relay/main.ts"]);
    const main = read(root, "src/relay/main.ts");
    expect(main).not.toMatch(/web-build|buildWeb|start\.ts/);
  });
});

describe("docs/self-hosting.md", () => {
  it("documents every environment variable the relay reads", () => {
    // env["NAME"] directly, or a helper called with the name ("PORT" in integer("PORT", …)): every upper-case
    // string literal in main.ts except signal names.
    const main = read(root, "src/relay/main.ts");
    const names = new Set(
      [...main.matchAll(/env\["([A-Z_]+)"\]|"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})"/g)]
        .map((match) => match[1] ?? match[2]!)
        .filter((name) => !/^SIG[A-Z]+$/.test(name)),
    );
    expect(names.size).toBeGreaterThan(0);
    expect([...names].filter((name) => !documented(name)).sort()).toEqual([]);
  });

  it("documents the relay's whole configuration", () => {
    const expected = [
      "PORT",
      "HOST",
      "PUBLIC_ORIGIN",
      "ALLOWED_ORIGINS",
      "STATIC_DIR",
      "REDIS_URL",
      "LOG_LEVEL",
      "METRICS_TOKEN",
      "MAX_CONNECTIONS_PER_IP",
      "TRUST_PROXY_HOPS",
      "SHUTDOWN_GRACE_MS",
      "RELAY_MAX_TOTAL_ENVELOPES",
      "RELAY_MAX_TOTAL_CHARS",
    ];
    expect(expected.filter((name) => !documented(name))).toEqual([]);
  });

  it("names every metric the relay exports", () => {
    const source = read(root, "src/relay/metrics.ts");
    const exported = [...source.matchAll(/name: "(parley_\w+)"/g)].map((match) => match[1]!);
    expect(exported.length).toBeGreaterThan(0);
    for (const metric of exported) expect(selfHosting, metric).toContain(`\`${metric}`);
    for (const metric of [
      "parley_connections",
      "parley_envelopes_stored_total",
      "parley_envelopes_delivered_total",
      "parley_envelopes_acked_total",
      "parley_mailbox_depth",
      "parley_rejections_total",
      "parley_delivery_latency_seconds",
    ]) {
      expect(selfHosting, metric).toContain(`\`${metric}`);
    }
  });
});
