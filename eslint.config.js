import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      ".dependency-cruiser.cjs",
      "node_modules/",
      "src/web/.next/",
      "src/web/out/",
      "src/web/next-env.d.ts",
      "src/web/public/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: "module" },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-non-null-assertion": "off", // needed with noUncheckedIndexedAccess on bounds-checked byte loops
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": ["error", { allow: ["warn", "error"] }],
      eqeqeq: ["error", "always"],
    },
  },
  {
    // Peer data, socket input and storage rows are validated, never asserted into shape.
    files: ["src/**/*.ts", "src/**/*.tsx"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "TSAsExpression > CallExpression[callee.object.name='JSON'][callee.property.name='parse']",
          message: "Validate parsed JSON with a schema instead of casting it.",
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts", "*.config.*", "src/relay/start.ts", "src/relay/main.ts"],
    rules: { "no-console": "off" },
  },
);
