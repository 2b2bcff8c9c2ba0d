import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parsePlan } from '../../src/engine/plan.js'
import { fitSummary, renderSummary, writeSummary } from '../../src/github/summary.js'
import type { SummaryInput } from '../../src/github/summary.js'
import type { RolloutRecord, StageRecord } from '../../src/engine/types.js'

const MIN = 60_000
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0)

const firstStage = {
  index: 0,
  tenths: 10,
  startedAt: T0 + 5_000,
  endedAt: T0 + 5_000 + 5 * MIN,
  bakeMs: 5 * MIN,
  status: 'baked',
  detail: 'web-5xx OK, web-latency OK'
} satisfies StageRecord

const rolledBackStage = {
  index: 1,
  tenths: 100,
  startedAt: T0 + 6 * MIN,
  endedAt: T0 + 8 * MIN,
  bakeMs: 5 * MIN,
  status: 'rolled-back',
  detail: 'web-5xx ALARM, web-latency OK'
} satisfies StageRecord

const ALARM_REASON =
  'alarm web-5xx: Threshold Crossed: 1 out of the last 1 datapoints [12.0 (01/05/24 12:07:00)] was greater than the threshold (5.0)'

const rolledBackRecord = {
  startedAt: T0,
  stages: [firstStage, rolledBackStage],
  timeline: [
    { at: T0 + 5_000, tenths: 10 },
    { at: T0 + 6 * MIN, tenths: 100 },
    { at: T0 + 8 * MIN, tenths: 0 }
  ],
  outcome: {
    result: 'rolled-back',
    tenths: 0,
    reason: ALARM_REASON,
    liveService: 'web-blue',
    idleService: 'web-green'
  }
} satisfies RolloutRecord

const promotedRecord = {
  startedAt: T0,
  stages: [
    firstStage,
    {
      index: 1,
      tenths: 1000,
      startedAt: T0 + 6 * MIN,
      endedAt: T0 + 11 * MIN,
      bakeMs: 5 * MIN,
      status: 'baked',
      detail: 'web-5xx OK'
    }
  ],
  timeline: [
    { at: T0 + 5_000, tenths: 10 },
    { at: T0 + 6 * MIN, tenths: 1000 }
  ],
  outcome: {
    result: 'promoted',
    tenths: 1000,
    reason: '',
    liveService: 'web-green',
    idleService: 'web-blue'
  }
} satisfies RolloutRecord

function input(record: RolloutRecord, extra: Partial<SummaryInput> = {}): SummaryInput {
  return {
    cluster: 'prod',
    newService: 'web-green',
    oldService: 'web-blue',
    plan: '1:5m 10:5m 100:5m',
    record,
    mode: 'deploy',
    ...extra
  }
}

/** The body of the Mermaid block, or undefined when there is none. */
function mermaidBlock(markdown: string): string | undefined {
  return /```mermaid\n([\s\S]*?)\n```/.exec(markdown)?.[1]
}

/** The x labels and y values of the chart's line. */
function chartSeries(block: string): { labels: string[]; values: number[] } {
  const labels = /x-axis \[(.*)\]/.exec(block)?.[1] ?? ''
  const values = /bar \[(.*)\]/.exec(block)?.[1] ?? ''
  return {
    labels: labels.split(', ').map(l => JSON.parse(l) as string),
    values: values.split(', ').map(Number)
  }
}

describe('renderSummary', () => {
  it('opens with the outcome as a bold marker', () => {
    expect(renderSummary(input(promotedRecord))).toContain(
      '**Promoted**: web-green takes 100% of the traffic.'
    )
    expect(renderSummary(input(rolledBackRecord))).toContain(
      '**Rolled back** at 10%: all traffic is back on web-blue.'
    )
  })

  it('tells how to go on from a pause', () => {
    const paused = {
      ...rolledBackRecord,
      stages: [{ ...firstStage, status: 'paused', bakeMs: undefined }],
      timeline: [{ at: T0 + 5_000, tenths: 10 }],
      outcome: {
        ...promotedRecord.outcome,
        result: 'paused',
        tenths: 10,
        reason: 'web-5xx ALARM held the rollout'
      }
    } satisfies RolloutRecord
    const markdown = renderSummary(input(paused))
    expect(markdown).toContain('**Paused** at 1% on web-green')
    expect(markdown).toContain('web-5xx ALARM held the rollout')
    expect(markdown).toContain('`mode: promote`')
    expect(markdown).toContain(
      '| 1/3 | 1% | 12:00:05 | pause | web-5xx OK, web-latency OK | paused |'
    )
  })

  it('has one table row per stage with share, UTC start, bake, gates and result', () => {
    const markdown = renderSummary(input(rolledBackRecord))
    expect(markdown).toContain('| Stage | Share | Started (UTC) | Baked | Gates | Result |')
    expect(markdown).toContain(
      '| 1/3 | 1% | 12:00:05 | 5m of 5m | web-5xx OK, web-latency OK | baked |'
    )
    expect(markdown).toContain(
      '| 2/3 | 10% | 12:06:00 | 2m of 5m | web-5xx ALARM, web-latency OK | rolled back |'
    )
  })

  it('keeps a pipe in a detail line from breaking the table', () => {
    const record = {
      ...promotedRecord,
      stages: [{ ...firstStage, detail: 'canary 5xx 0.1% | live 0.0%' }]
    } satisfies RolloutRecord
    expect(renderSummary(input(record))).toContain('| canary 5xx 0.1% \\| live 0.0% |')
  })

  it('quotes the alarm reason in a blockquote that wraps, under "Why it rolled back"', () => {
    const markdown = renderSummary(input(rolledBackRecord))
    expect(markdown).toContain('#### Why it rolled back\n\n> alarm web-5xx: Threshold Crossed')
    expect(markdown).toContain('[12.0 (01/05/24 12:07:00)] was greater than the threshold (5.0)')
    expect(markdown).not.toContain('```text')
  })

  it('says in one line that a run moved nothing, with no chart and no table', () => {
    const markdown = renderSummary(
      input({
        startedAt: T0,
        stages: [],
        timeline: [],
        outcome: {
          result: 'unchanged',
          tenths: 0,
          reason: 'web-green is not ready for traffic, so none was moved',
          liveService: 'web-blue',
          idleService: 'web-green'
        }
      })
    )
    expect(markdown).toContain('### ecs-canary: web-blue ⇄ web-green on prod')
    expect(markdown).toContain(
      '**Unchanged**: no traffic moved; web-green is not ready for traffic, so none was moved'
    )
    expect(mermaidBlock(markdown)).toBeUndefined()
    expect(markdown).not.toContain('| Stage |')
  })

  it('says in its header which way traffic moved', () => {
    expect(renderSummary(input(rolledBackRecord))).toContain(
      '### ecs-canary: traffic web-blue → web-green, then back to web-blue on prod'
    )
    expect(renderSummary(input(promotedRecord))).toContain(
      '### ecs-canary: traffic web-blue → web-green on prod'
    )
  })

  it('shows no reason block after a promotion', () => {
    expect(renderSummary(input(promotedRecord))).not.toContain('```text')
  })

  it('draws the share over time as a well-formed xychart', () => {
    const block = mermaidBlock(renderSummary(input(rolledBackRecord)))
    expect(block).toBeDefined()
    const lines = (block ?? '').split('\n').map(l => l.trim())
    expect(lines[0]).toMatch(/^%%\{init: /)
    expect(lines[1]).toBe('xychart-beta')
    const { labels, values } = chartSeries(block ?? '')
    expect(labels).toEqual(['1%', '10%', 'rolled back'])
    expect(values).toHaveLength(labels.length)
    expect(values.every(v => v >= 0 && v <= 100)).toBe(true)
  })

  it('lists a dry run with the exact weights each stage sets', () => {
    const planned = parsePlan('0.5,10:pause,100:10m', 5 * MIN)
    const markdown = renderSummary(
      input(
        { startedAt: T0, stages: [], timeline: [] },
        { dryRun: true, planned, plan: '0.5:5m 10:pause 100:10m' }
      )
    )
    expect(markdown).toContain('**Dry run**')
    expect(markdown).toContain('| Stage | Share | Bake | web-blue weight | web-green weight |')
    expect(markdown).toContain('| 1/3 | 0.5% | 5m | 995 | 5 |')
    expect(markdown).toContain('| 2/3 | 10% | pause | 90 | 10 |')
    expect(markdown).toContain('| 3/3 | 100% | 10m | 0 | 100 |')
    expect(mermaidBlock(markdown)).toBeUndefined()
  })
})

describe('what every summary names', () => {
  it('names the revision and the commit', () => {
    const markdown = renderSummary(
      input(promotedRecord, {
        revision: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42',
        commit: 'c0ffee0000000000000000000000000000c0ffee'
      })
    )
    expect(markdown).toContain(
      'Revision `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42` · commit `c0ffee0000000000000000000000000000c0ffee`'
    )
  })

  it('says when traffic could not be restored, with the commands', () => {
    const record = {
      ...rolledBackRecord,
      outcome: { ...rolledBackRecord.outcome, result: 'restore-failed', tenths: 100 }
    } satisfies RolloutRecord
    const markdown = renderSummary(
      input(record, { restoreCommands: ['aws elbv2 modify-rule --rule-arn r1 --actions x'] })
    )
    expect(markdown).toContain('**Traffic NOT restored**: 10% is still on web-green.')
    expect(markdown).toContain('aws elbv2 modify-rule --rule-arn r1')
    expect(markdown).not.toContain('Rolled back')
  })
})

describe('fitSummary', () => {
  it('leaves a summary under the limit alone', () => {
    expect(fitSummary('### short\n', 1000)).toBe('### short\n')
  })

  it('cuts a long one at a line, closes an open fence, and says so, within the limit', () => {
    const long = `### head\n\n\`\`\`text\n${'é line of a long reason\n'.repeat(2000)}\`\`\`\n`
    const fitted = fitSummary(long, 4096)
    expect(Buffer.byteLength(fitted, 'utf8')).toBeLessThanOrEqual(4096)
    expect(fitted).toContain("cut here to stay under GitHub's 1 MiB limit")
    expect(fitted.match(/^`{3}/gm)).toHaveLength(2)
    expect(fitted).not.toContain('\uFFFD')
  })

  it('keeps a rendered summary of a huge reason under 1 MiB', () => {
    const record = {
      ...rolledBackRecord,
      outcome: { ...rolledBackRecord.outcome, reason: 'x'.repeat(3 * 1024 * 1024) }
    } satisfies RolloutRecord
    expect(Buffer.byteLength(renderSummary(input(record)), 'utf8')).toBeLessThan(1024 * 1024)
  })
})

describe('writeSummary', () => {
  it('appends to the step summary, and after a failed write warns and leaves nothing behind', async () => {
    const warnings: string[] = []
    const log = { warn: (line: string) => warnings.push(line) }
    const saved = process.env.GITHUB_STEP_SUMMARY
    try {
      // @actions/core remembers the summary path after its first success, so the failure
      // comes first: without GITHUB_STEP_SUMMARY the write cannot happen.
      delete process.env.GITHUB_STEP_SUMMARY
      await expect(writeSummary('lost\n', log)).resolves.toBeUndefined()
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain('Could not write the job summary')

      const file = join(mkdtempSync(join(tmpdir(), 'summary-')), 'summary.md')
      writeFileSync(file, 'before\n')
      process.env.GITHUB_STEP_SUMMARY = file
      await writeSummary('### ecs-canary\n', log)
      expect(readFileSync(file, 'utf8')).toBe('before\n### ecs-canary\n')
      expect(warnings).toHaveLength(1)
    } finally {
      if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY
      else process.env.GITHUB_STEP_SUMMARY = saved
    }
  })
})
