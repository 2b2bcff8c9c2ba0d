/**
 * The job summary of each ending, drawn in a real browser (headless Chromium with the project's
 * pinned Mermaid) on GitHub's light and dark pages, and measured: the line and the bars stand out
 * from the chart's background, no two axis labels overlap, and every stage in the record has a
 * bar. A PNG of each ending lands in reports/ for people to look at.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import type { Browser } from 'playwright-core'
import type { RolloutRecord, StageRecord } from '../../src/engine/types.js'
import { renderSummary, type SummaryInput } from '../../src/github/summary.js'
import { refusalSummary, restoreSummary } from '../../src/github/endings.js'
import { contrast, draw, launch, overlaps, type Drawn } from './support/browser.js'

jest.setTimeout(180_000)

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0)
const MIN = 60_000
/** The README's ladder: `1:2m 2:2m 5:5m 10:5m 50:10m 100:10m`. */
const LADDER: [tenths: number, bakeMs: number][] = [
  [10, 2 * MIN],
  [20, 2 * MIN],
  [50, 5 * MIN],
  [100, 5 * MIN],
  [500, 10 * MIN],
  [1000, 10 * MIN]
]

/** The ladder's stages up to `count`, each baked in full, the last one cut to `lastMs`. */
function ladder(count: number, lastMs?: number, status: StageRecord['status'] = 'baked') {
  const stages: StageRecord[] = []
  let at = T0
  for (const [index, [tenths, bakeMs]] of LADDER.slice(0, count).entries()) {
    const last = index === count - 1
    const ms = last && lastMs !== undefined ? lastMs : bakeMs
    stages.push({
      index,
      tenths,
      startedAt: at,
      endedAt: at + ms,
      bakeMs,
      status: last ? status : 'baked',
      detail: 'web-5xx OK · health OK'
    })
    at += ms
  }
  return { stages, timeline: stages.map(s => ({ at: s.startedAt, tenths: s.tenths })), end: at }
}

function summary(record: RolloutRecord, mode: SummaryInput['mode'] = 'deploy'): string {
  return renderSummary({
    cluster: 'prod',
    newService: 'web-green',
    oldService: 'web-blue',
    plan: '1:2m 2:2m 5:5m 10:5m 50:10m 100:10m',
    mode,
    record,
    revision: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8',
    commit: '0123456789abcdef0123456789abcdef01234567'
  })
}

const outcome = (result: 'promoted' | 'rolled-back' | 'paused', tenths: number, reason = '') => ({
  result,
  tenths,
  reason,
  liveService: result === 'promoted' ? 'web-green' : 'web-blue',
  idleService: result === 'promoted' ? 'web-blue' : 'web-green'
})

const promoted = ladder(6)
const rolled = ladder(5, 20_000, 'rolled-back')
const paused = ladder(3, 0, 'paused')
const reconcileAt = T0 + 3 * MIN

/** Each ending, its summary, and how many stages its chart must show (0: no chart). */
const ENDINGS: { name: string; markdown: string; stages: string[] }[] = [
  {
    name: 'promotion',
    markdown: summary({
      startedAt: T0,
      stages: promoted.stages,
      timeline: promoted.timeline,
      outcome: outcome('promoted', 1000)
    }),
    stages: ['1%', '2%', '5%', '10%', '50%', '100%']
  },
  {
    name: 'rollback-at-50',
    markdown: summary({
      startedAt: T0,
      stages: rolled.stages,
      timeline: [...rolled.timeline, { at: rolled.end, tenths: 0 }],
      outcome: outcome('rolled-back', 0, 'alarm web-5xx is in ALARM: Threshold Crossed'),
      evidence: {
        gate: 'alarms',
        alarms: [
          {
            name: 'web-5xx',
            type: 'metric',
            state: 'ALARM',
            reason: 'Threshold Crossed',
            changedAt: rolled.end - 5_000
          }
        ]
      }
    }),
    stages: ['1%', '2%', '5%', '10%', '50%']
  },
  {
    name: 'pause',
    markdown: summary({
      startedAt: T0,
      stages: paused.stages,
      timeline: paused.timeline,
      outcome: outcome('paused', 50, 'paused at 5% as planned')
    }),
    stages: ['1%', '2%', '5%']
  },
  {
    name: 'refusal',
    markdown: refusalSummary({
      cluster: 'prod',
      services: ['web-blue', 'web-green'],
      mode: 'deploy',
      reason:
        "Input 'listener-rules': 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0123abcd' is not an Application Load Balancer listener or listener-rule ARN. That is a target group: find the rule that forwards to it with `aws elbv2 describe-rules --listener-arn LISTENER_ARN` and give the rule's RuleArn"
    }),
    stages: []
  },
  {
    name: 'post-restore',
    markdown: restoreSummary({
      by: 'the post step',
      restored: true,
      liveService: 'web-blue',
      idleService: 'web-green',
      cluster: 'prod',
      reason: 'the job ended mid-rollout; the post step put all traffic back on web-blue',
      foundTenths: 50
    }),
    stages: ['5% found']
  },
  {
    name: 'reconcile',
    markdown: summary(
      {
        startedAt: reconcileAt,
        stages: [],
        timeline: [
          { at: reconcileAt, tenths: 100 },
          { at: reconcileAt + 67, tenths: 0 }
        ],
        outcome: outcome('rolled-back', 0, 'the owning run has been gone for 10m')
      },
      'reconcile'
    ),
    stages: ['10% found']
  }
]

/** GitHub's own figure for graphics against their background (WCAG 1.4.11 asks 3:1). */
const MIN_CONTRAST = 3

let browser: Browser
beforeAll(async () => {
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
})

describe.each(ENDINGS)('the summary of the $name ending, in Chromium', ending => {
  for (const theme of ['light', 'dark'] as const) {
    it(`reads on a ${theme} page`, async () => {
      const charts: Drawn[] = await draw(
        browser,
        ending.markdown,
        theme,
        `${ending.name}-${theme}.png`
      )
      // A refusal moved nothing: no chart at all. Every other ending: one.
      expect(charts).toHaveLength(ending.stages.length === 0 ? 0 : 1)
      for (const chart of charts) {
        // The line and the bars stand out from the chart's background, in either page theme.
        expect(chart.lines.length).toBeGreaterThan(0)
        for (const colour of [...chart.lines, ...chart.bars.map(b => b.fill)]) {
          expect(contrast(colour, chart.background)).toBeGreaterThanOrEqual(MIN_CONTRAST)
        }
        // A bar of some height for every stage reached, small shares included.
        const labels = chart.labels.map(l => l.text)
        expect(labels.slice(0, ending.stages.length)).toEqual(ending.stages)
        const heights = chart.bars.slice(0, ending.stages.length).map(b => b.height)
        expect(heights.every(h => h >= 20)).toBe(true)
        // Few labels, and none on top of another.
        expect(chart.labels.length).toBeLessThanOrEqual(8)
        expect(overlaps(chart.labels)).toEqual([])
      }
    })
  }
})

describe('the rollback 20 s into 50%', () => {
  it('shows the 50% stage and where it fell to', async () => {
    const rollback = ENDINGS[1]
    const [chart] = await draw(browser, rollback.markdown, 'light')
    const labels = chart.labels.map(l => l.text)
    expect(labels).toEqual(['1%', '2%', '5%', '10%', '50%', 'rolled back'])
    expect(chart.bars[4].height).toBeGreaterThan(chart.bars[3].height)
    expect(rollback.markdown).toContain('Rolled back from 50% after 14m20s, 20s into the stage.')
  })
})
