// ESLint with typescript-eslint's type-checked rules, plus the layer boundaries of docs/style.md:
// common runs everywhere (no Node, no DOM, nothing of server or web), the web app never imports
// server code, and the gateway reaches machines only through the runtime contract.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const boundary = (group, message) => ({ group, message });

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'images/**/rootfs/', 'vite.config.ts', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json', './tsconfig.web.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // An async method may implement an interface without awaiting anything itself.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read JSON answers (typed any) and poke at internals; the promise rules still hold.
    files: ['test/**', 'bench/**', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['src/common/**'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [boundary(['node:*', '**/server/**', '**/web/**'], 'src/common runs in the browser and the server: no Node modules, no server or web code.')] }] },
  },
  {
    files: ['src/web/**'],
    rules: {
      // React hooks hand out functions that do not use `this` (useMutation().mutate and the like).
      '@typescript-eslint/unbound-method': 'off',
      'no-restricted-imports': ['error', { patterns: [boundary(['node:*', '**/server/**'], 'The web app talks to the server over HTTP only.')] }] },
  },
  {
    files: ['src/server/gateway/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [boundary(['**/runtime/local/**', '**/runtime/kubernetes/**'], 'The gateway reaches machines through the runtime contract (runtime/runtime.ts) only.')] }] },
  },
  {
    files: ['**/*.{js,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
