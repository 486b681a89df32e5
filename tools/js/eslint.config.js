// ESLint for the console's browser modules (console/static, not the vendored libraries) and
// their node tests (tests/js). Run from the repository root: ./run lint.
import js from "@eslint/js"
import globals from "globals"

export default [
  { ignores: ["console/static/vendor/**"] },
  js.configs.recommended,
  {
    files: ["console/static/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["tests/js/**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
  {
    rules: {
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
      "eqeqeq": ["error", "smart"],
      "no-var": "error",
      "prefer-const": "error",
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
    },
  },
]
