// ESLint (flat config): the recommended JS and typescript-eslint rules plus a few that catch
// real bugs, minus what is noise here (each exception says why). Formatting is Prettier's
// (eslint-config-prettier turns off the rules it owns). `npm run lint`.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // runtime-as/assembly is AssemblyScript (decorators on functions), not TypeScript.
    ignores: ['dist/', 'node_modules/', 'runtime-as/assembly/', 'runtime-as/build/', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-fallthrough': 'error',
      // tsc has no noUnusedLocals here; `_name` marks a parameter or binding kept on purpose
      // (an interface's argument, a destructured field dropped from a rest).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // A closure declared before the function it calls is assigned (mutual recursion).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A name used only as a type is imported as one (`import { type X }`, `import type`), so an
      // import's reader sees what it costs at run time. `typeof import('x')` annotations stay:
      // they type a module loaded lazily with import().
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Tests match code frames and ANSI colors literally: `/  \|/`, `/\x1b\[/`.
      'no-regex-spaces': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    // The example page is plain browser JavaScript (no TypeScript lib to declare the DOM).
    files: ['examples/web/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        ['document', 'window', 'performance', 'URL', 'URLSearchParams', 'location', 'fetch', 'requestAnimationFrame', 'crossOriginIsolated', 'console'].map(
          (g) => [g, 'readonly'],
        ),
      ),
    },
  },
);
