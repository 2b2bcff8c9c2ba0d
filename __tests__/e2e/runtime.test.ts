import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { newAccount } from './support/accounts.js'
import { useE2e } from './support/harness.js'
import { repoRoot } from './support/runner-env.js'
import { runAction, runPost } from './support/runner.js'
import type { RunResult } from './support/runner.js'

const e2e = useE2e()

/** The Node version the bundle says it runs on (a debug line, printed under RUNNER_DEBUG). */
function runtimeOf(result: RunResult): string | undefined {
  const line = result.commands.find(
    c => c.command === 'debug' && c.message.startsWith('Running on Node ')
  )
  return line?.message.slice('Running on Node '.length)
}

describe('the runtime the action declares', () => {
  it('runs dist/index.js, main and post, on the Node that action.yml names', async () => {
    const declared = /^\s*using:\s*['"]?node(\d+)/m.exec(
      readFileSync(join(repoRoot, 'action.yml'), 'utf8')
    )?.[1]
    expect(declared).toBe('24')
    const context = e2e.context({ account: await newAccount() })

    // Refused for a missing input before any AWS call: enough to see where the bundle ran.
    const main = await runAction(context, { inputs: {}, env: { RUNNER_DEBUG: '1' } })
    const post = await runPost(context, main, { env: { RUNNER_DEBUG: '1' } })

    expect(main.code).toBe(1)
    expect(runtimeOf(main)).toMatch(new RegExp(`^v${declared}\\.`))
    expect(runtimeOf(post)).toMatch(new RegExp(`^v${declared}\\.`))
  })
})
