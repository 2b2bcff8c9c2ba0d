// Mutation testing of the engine and the pure core (npm run mutation). It runs the unit tests
// only: the e2e tests spawn the bundled dist/index.js, which Stryker's mutants never reach.
// Not part of npm test (about 12 minutes on 2 cores); .github/workflows/mutation.yml runs it
// weekly and on demand. Per-file floors (90%, 95% for state, actions and plan) are enforced by
// scripts/mutation-summary.mjs on the JSON report; `thresholds.break` fails the whole run.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    // One project, the unit tests, as a plain config: Stryker's per-test coverage hooks into
    // the test environment, which it cannot do through jest's multi-project mode. Read in each
    // sandbox, so rootDir is the sandbox (a rootDir fixed here would be the worktree, whose
    // tests import the unmutated sources).
    configFile: 'stryker.jest.config.js',
    // Per-test coverage only narrows the test *names* (jest --testNamePattern): jest still
    // loads every test file, and with them the AWS SDK, for each mutant. This adds
    // --findRelatedTests, so only the test files that import the mutated file load.
    enableFindRelatedTests: true
  },
  coverageAnalysis: 'perTest',
  // The engine (the rollout and every file it is split into, the gates, the pre-flight checks
  // and their refusals), the pure core (plan, state, analysis, ARNs), the inputs and the restore
  // path (the writes, the retries it allows, its time budget, the commands it prints).
  mutate: [
    'src/engine/plan.ts',
    'src/engine/state.ts',
    'src/engine/analysis.ts',
    'src/inputs/analysis-inputs.ts',
    'src/inputs/inputs.ts',
    'src/inputs/input-parsers.ts',
    'src/inputs/input-rules.ts',
    'src/engine/preflight.ts',
    'src/engine/refusals.ts',
    'src/engine/rollout.ts',
    'src/engine/bake.ts',
    'src/engine/drift.ts',
    'src/arn.ts',
    'src/engine/prepare-stage.ts',
    'src/engine/promotion.ts',
    'src/engine/capacity.ts',
    'src/engine/heartbeat.ts',
    'src/engine/health.ts',
    'src/inputs/switch.ts',
    'src/engine/wayout.ts',
    'src/aws/elb/actions.ts',
    'src/aws/elb/restore.ts',
    'src/aws/elb/restore-commands.ts',
    'src/aws/retryable.ts',
    'src/aws/within.ts',
    'src/engine/gates/*.ts'
  ],
  // The sandbox needs the sources and the unit tests, not the emulator, the bundle or e2e.
  ignorePatterns: ['.venv', '.node24', 'dist', 'bench', 'demo', 'docs', '__tests__/e2e', 'reports'],
  checkers: [],
  concurrency: 2,
  // Above a cold first run: a fresh worker loads every ESM module cold, and on a shared 2-core
  // machine a worker gets a fraction of a core. A mutant that times out counts as killed, but
  // it also restarts its worker (cold again), so a tight timeout cascades. Since the sequencer
  // and runner in stryker.jest.config.js run only covering files, a run takes a few seconds.
  timeoutMS: 15000,
  timeoutFactor: 2,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: 90 },
  // Used with --incremental (the weekly workflow caches it); not committed, see mutation.yml.
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always'
}
