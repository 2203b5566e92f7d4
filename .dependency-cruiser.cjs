/**
 * Import fences between the layers (see docs/architecture.md). Run by `npm test`
 * through `npm run fences`; a violation fails the build.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles make layers impossible to reason about or test alone.",
      from: {},
      to: { circular: true },
    },
    {
      name: "protocol-is-platform-free",
      severity: "error",
      comment: "src/protocol runs in browsers and Node: no node:* modules, no frameworks, no storage, no transport.",
      from: { path: "^src/protocol/" },
      to: {
        dependencyTypesNot: ["local", "type-only"],
        path: "^(node:|react|react-dom|next|dexie|zustand|socket\\.io|socket\\.io-client|chrono-node)",
      },
    },
    {
      name: "protocol-imports-no-other-layer",
      severity: "error",
      from: { path: "^src/protocol/" },
      to: { path: "^src/(agent|relay|web)/" },
    },
    {
      name: "protocol-uses-no-node-builtins",
      severity: "error",
      from: { path: "^src/(protocol|agent)/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "agent-is-pure",
      severity: "error",
      comment: "The agent engine has no I/O and no framework: time, randomness, storage and transport are passed in.",
      from: { path: "^src/agent/" },
      to: {
        path: "^(src/(relay|web)/|node_modules/(react|react-dom|next|dexie|zustand|socket\\.io|socket\\.io-client)/)",
      },
    },
    {
      name: "relay-never-sees-plaintext-types",
      severity: "error",
      comment: "The relay routes ciphertext; it must not even know the shape of what is inside.",
      from: { path: "^src/relay/" },
      to: { path: "^src/(protocol/messages|agent|web)/" },
    },
    {
      name: "nothing-imports-web",
      severity: "error",
      from: { pathNot: "^src/web/" },
      to: { path: "^src/web/" },
    },
    {
      name: "nothing-imports-relay",
      severity: "error",
      from: { pathNot: "^src/relay/" },
      to: { path: "^src/relay/" },
    },
    {
      name: "only-crypto-imports-libsodium",
      severity: "error",
      from: { pathNot: "^src/protocol/crypto/" },
      to: { path: "node_modules/libsodium" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/web/(\\.next|out)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".d.ts"],
    },
  },
};
