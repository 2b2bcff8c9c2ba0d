/**
 * The e2e global teardown stops moto; jest writes its results and sets its exit code only after
 * that. One `npm run test:busy` run printed its summary, wrote no results and exited 0: moto took
 * longer than the 5 s grace to die under load, and stopping it let Node's event loop run dry.
 */
import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { useE2e } from './support/harness.js'
import { repoRoot } from './support/runner-env.js'

useE2e()

describe('stopping the emulator', () => {
  it('keeps Node alive until a child that outlasts SIGTERM has been killed', () => {
    const result = spawnSync(
      join(repoRoot, 'node_modules', '.bin', 'tsx'),
      [join(repoRoot, '__tests__', 'e2e', 'support', 'stop-slow-child.ts')],
      { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 }
    )
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    // SIGTERM was ignored, so only the SIGKILL after the 5 s grace ended it.
    expect(result.stdout).toMatch(/^stopped after \d+ ms by SIGKILL\n$/)
  })
})
