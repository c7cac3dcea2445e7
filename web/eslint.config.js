// ESLint 9 (flat config): the recommended JavaScript rules, React's and the rules of hooks,
// for the console's sources, its build configuration, its unit tests and its browser test.
// `npm run lint` allows no warning; formatting is prettier's business (npm run format:check).
import js from "@eslint/js";
import globals from "globals";
import react from "eslint-plugin-react";
import reactHooks from "eslint-plugin-react-hooks";

export default [
  { ignores: ["dist/", "generated/", "node_modules/"] },
  js.configs.recommended,
  {
    files: ["src/**/*.{js,jsx}"],
    ...react.configs.flat.recommended,
    languageOptions: {
      ...react.configs.flat.recommended.languageOptions,
      ecmaVersion: 2024,
      sourceType: "module",
      globals: globals.browser,
    },
    settings: { react: { version: "detect" } },
  },
  {
    files: ["src/**/*.{js,jsx}"],
    ...react.configs.flat["jsx-runtime"],
  },
  {
    files: ["src/**/*.{js,jsx}"],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ["src/**/*.{js,jsx}"],
    rules: {
      // Props are typed with JSDoc and checked by tsc, not with prop-types.
      "react/prop-types": "off",
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["*.js", "scripts/**/*.mjs", "e2e/**/*.mjs", "test/**/*.mjs"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module", globals: globals.node },
  },
  {
    // Playwright runs these callbacks in the page.
    files: ["e2e/**/*.mjs"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
];
