// Flat config: ESLint's recommended rules plus typescript-eslint's, in agreement with Prettier.
import appsync from "@aws-appsync/eslint-plugin";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "**/node_modules/", "**/dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: {
        process: "readonly",
        console: "readonly",
        require: "readonly",
        module: "readonly",
        __dirname: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-require-imports": "off",
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-console": "off",
    },
  },
  // No function over 80 lines, so each reads as named steps. Test files are left out: their
  // describe callbacks hold whole suites (their fixtures and helpers follow the rule by hand).
  {
    files: ["**/*.ts", "**/*.js", "**/*.mjs"],
    ignores: ["**/*.test.ts"],
    rules: { "max-lines-per-function": ["error", { max: 80, IIFEs: true }] },
  },
  // APPSYNC_JS resolvers run in AppSync's restricted runtime (no try, loops, classes, regex
  // literals, recursion ...): AWS's own rules, with type information for the ones that need it.
  // The caller rule is bundled into them, so it is held to the same rules.
  {
    files: ["app/*/resolvers/**/*.js", "handlers/shared/caller-rule.ts"],
    ...appsync.configs.recommended,
    languageOptions: {
      ...appsync.configs.recommended.languageOptions,
      parserOptions: {
        project: "./app/airline/resolvers/tsconfig.json",
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
);
