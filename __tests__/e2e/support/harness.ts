import { afterAll, beforeAll, beforeEach, jest } from '@jest/globals'
import type { TestAccount } from './accounts.js'
import { startFaultProxy } from './fault-proxy.js'
import type { FaultProxy } from './fault-proxy.js'
import { startGitHubStandin } from './github-standin.js'
import type { GitHubStandin } from './github-standin.js'
import type { RunContext } from './runner.js'

/** The per-file stand-ins an e2e test drives the action through. */
export interface E2e {
  proxy: FaultProxy
  github: GitHubStandin
  /** Where the action runs against: the account's credentials, the proxy, the stand-in. */
  context(target: { account: TestAccount }): RunContext
}

/**
 * The e2e test timeout. The e2e project's `testTimeout` in jest.config.js has no effect: jest 30
 * reads testTimeout from the global config only, so a project-level value is silently ignored
 * and tests would be cut at the default 5 s. The runner's own timeout (RUN_TIMEOUT_MS, 200 s)
 * stays under this. A bound, not a budget: a few seconds on a quiet machine, minutes when moto
 * shares two cores with other suites (issue 28); E2E_TEST_TIMEOUT_MS=ms changes it.
 */
export const E2E_TEST_TIMEOUT_MS = Number(process.env.E2E_TEST_TIMEOUT_MS) || 240_000

/**
 * Call at the top of a test file: sets the e2e test timeout, starts a fault proxy (in AWS-strict
 * mode) and a GitHub stand-in for the file (each worker has its own, on its own port), and
 * before every test forgets the calls, faults, strict options and statuses of the previous one. Accounts (and so AWS state) are per stack.
 */
export function useE2e(): E2e {
  jest.setTimeout(E2E_TEST_TIMEOUT_MS)
  let proxy: FaultProxy | undefined
  let github: GitHubStandin | undefined
  beforeAll(async () => {
    proxy = await startFaultProxy()
    github = await startGitHubStandin()
  })
  beforeEach(() => {
    proxy?.reset()
    proxy?.clear()
    // Every test starts fully strict; one that needs a rule off says so itself.
    proxy?.strict()
    github?.reset()
  })
  afterAll(async () => {
    await proxy?.close()
    await github?.close()
  })
  const started = <T>(value: T | undefined): T => {
    if (!value) throw new Error('useE2e(): the stand-ins start in beforeAll; use them in tests')
    return value
  }
  return {
    get proxy() {
      return started(proxy)
    },
    get github() {
      return started(github)
    },
    context(target) {
      return {
        awsEndpoint: started(proxy).url,
        githubApiUrl: started(github).url,
        credentials: target.account.credentials
      }
    }
  }
}
