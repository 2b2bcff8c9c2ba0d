/**
 * Issue 28: a cancel whose restore failed printed no restore command. Under a cancel the runner
 * kills the step 10 s after SIGINT; the restore has used 6 s of that, so whatever `publish` does
 * before printing the commands (the job summary, the last status) can be cut off by the kill.
 * The commands come first: a step that never gets past its summary has already printed them.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as core from '@actions/core'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Context } from '../../src/modes/context.js'
import { publish, type RunEnd } from '../../src/github/report.js'
import { StageGroup } from '../../src/github/log.js'
import { MemoryLog } from './fakes.js'

const COMMAND =
  "aws elbv2 modify-rule --region eu-west-1 --rule-arn arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/2/3 --actions '[]'"

let dir: string
let printed: string
const saved = { ...process.env }

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'publish-order-'))
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY']) {
    process.env[name] = join(dir, name)
    writeFileSync(process.env[name], '')
  }
  printed = ''
  jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    printed += String(chunk)
    return true
  })
})

afterEach(() => {
  jest.restoreAllMocks()
  process.env = { ...saved }
  rmSync(dir, { recursive: true, force: true })
})

function context(): Context {
  const status = { post: () => undefined, flush: async () => undefined }
  return {
    status,
    log: new MemoryLog(),
    stageGroup: new StageGroup(),
    signal: AbortSignal.abort(),
    settings: { testListenerRules: [] }
  } as unknown as Context
}

const end: RunEnd = {
  outcome: {
    result: 'restore-failed',
    tenths: 500,
    reason: 'the job was cancelled; and traffic could NOT be restored to web-blue: throttled',
    liveService: 'web-blue',
    idleService: 'web-green'
  },
  failed: true,
  settled: false,
  restoreCommands: [COMMAND],
  summaryMarkdown: '# ecs-canary\n'
}

describe('publish, when traffic could not be restored', () => {
  it('prints the restore commands before it writes the job summary', async () => {
    // A summary write that never ends: the runner's kill would land here.
    jest.spyOn(core.summary, 'write').mockReturnValue(new Promise(() => undefined))

    void publish(context(), end)
    await new Promise(resolve => setImmediate(resolve))

    expect(core.summary.write).toHaveBeenCalled()
    expect(printed).toContain('::error title=ecs-canary%3A restore traffic by hand::')
    expect(printed).toContain(COMMAND)
  })

  it('prints them once, and fails with the reason', async () => {
    const failure = await publish(context(), end)

    expect(failure).toBe(end.outcome.reason)
    expect(printed.split(COMMAND)).toHaveLength(2)
  })
})
