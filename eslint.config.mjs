import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import { createProjectGraphAsync } from 'nx/src/devkit-exports.js';

// @nx/enforce-module-boundaries only reads a cached project graph and silently skips
// itself when there is none (a fresh checkout, CI). Compute it first so `npm run lint`
// always enforces the boundaries, and sees projects added since the last nx command.
await createProjectGraphAsync({ exitOnError: false });

// Layering inside a library (docs/CONVENTIONS.md): domain/ is pure, application/ works through
// ports, adapters/ do the I/O; and product code never imports a testing library. Tests,
// test helpers and fakes are exempt (they compose everything).
const testingImports = {
  group: ['@sluice/testing', '@sluice/fake-scm', '@sluice/*/testing'],
  message: 'product code does not import testing libraries (docs/CONVENTIONS.md)',
};
const notInProduct = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/testing/**', '**/test/**', '**/test-support.ts', 'libs/testing/**', 'libs/fake-scm/**'];
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns: [testingImports, ...patterns] }] });

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', '**/tmp/**', '.sluice/**', '.sluice-test/**', 'docs/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:composition', 'type:feature', 'type:data-access', 'type:util'] },
            { sourceTag: 'type:composition', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:testing'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:testing'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:sluice', onlyDependOnLibsWithTags: ['*'] },
            { sourceTag: 'scope:webhook-ingest', onlyDependOnLibsWithTags: ['scope:shared', 'scope:webhook-ingest'] },
            { sourceTag: 'scope:repo-sync', onlyDependOnLibsWithTags: ['scope:shared', 'scope:repo-sync'] },
            { sourceTag: 'scope:autodeploy', onlyDependOnLibsWithTags: ['scope:shared', 'scope:autodeploy'] },
            { sourceTag: 'scope:kube-applier', onlyDependOnLibsWithTags: ['scope:shared', 'scope:kube-applier'] },
            { sourceTag: 'scope:commit-status', onlyDependOnLibsWithTags: ['scope:shared', 'scope:commit-status'] },
            { sourceTag: 'scope:dashboard', onlyDependOnLibsWithTags: ['scope:shared', 'scope:dashboard'] }
          ]
        }
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error'
    }
  },
  { files: ['libs/**/*.ts', 'apps/**/*.ts'], ignores: notInProduct, rules: restrict() },
  {
    files: ['libs/*/src/**/application/**/*.ts'],
    ignores: notInProduct,
    rules: restrict(
      { group: ['**/adapters', '**/adapters/**'], message: 'application/ works through ports: it does not import adapters/ (docs/CONVENTIONS.md)' },
      { group: ['typeorm', 'pg', '@electric-sql/*', 'kafkajs', '@kubernetes/*'], message: 'application/ works through ports: the database, broker and cluster are adapters\' business (a Transaction, not an EntityManager; docs/architecture.md §4)' },
    ),
  },
  {
    files: ['libs/*/src/**/domain/**/*.ts'],
    ignores: notInProduct,
    rules: restrict({
      group: ['**/application', '**/application/**', '**/adapters', '**/adapters/**', 'typeorm', 'pg', 'kafkajs', '@kubernetes/*'],
      message: 'domain/ is pure: it imports neither application/ nor adapters/, nor any I/O library (docs/CONVENTIONS.md)',
    }),
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'bench/**/*.ts', 'e2e/**/*.ts', 'scripts/**', 'infra/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' }
  }
];
