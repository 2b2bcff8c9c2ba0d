/**
 * Issue 5, people in the loop: what people see while and after a rollout runs — a commit status
 * per stage on the commit being deployed, the final status, the job summary with its table and
 * chart — and that a token without `statuses: write` costs one warning, not the deploy.
 */
import { describe, expect, it } from '@jest/globals'
import { setAlarm } from './support/fixture.js'
import { DEFAULT_SHA, pullRequestEvent } from './support/github-events.js'
import { useE2e } from './support/harness.js'
import { idleShares, pairInputs, useStacks } from './support/people.js'
import { runAction, startAction } from './support/runner.js'

const e2e = useE2e()
const stack = useStacks()

const CONTEXT = 'ecs-canary/web-cluster/web-blue-web-green'
const RUN_URL = 'https://github.com/acme/web/actions/runs/4242424242'
const ALARM_REASON =
  'Threshold Crossed: 1 out of the last 1 datapoints [12.0 (28/11/26 12:03:00)] was greater than the threshold (5.0).'

/** The statuses the stand-in received, as `state: description`. */
function statusLines(): string[] {
  return e2e.github.statuses().map(s => `${s.state}: ${s.description}`)
}

/** The y values of the summary chart's line. */
/** The chart's bars, by their labels (one per stage, then where the run ended if it went back). */
function chartLabels(summary: string): string[] {
  const labels = /x-axis \[(.*)\]/.exec(summary)?.[1] ?? ''
  return labels.split(', ').map(l => JSON.parse(l) as string)
}

/** Resolves once `check` holds, polling every 50 ms for up to 20 s. */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 50) {
    if (waited > 20_000) throw new Error('timed out waiting for a condition')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('commit statuses', () => {
  it('posts a pending status per stage with the stage text, then success when promoted', async () => {
    const s = await stack()

    const result = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '1:1s,10:1s,100:1s' })
    })

    expect(result.code).toBe(0)
    expect(statusLines()).toEqual([
      'pending: stage 1/3 · 1% on web-green · alarms OK',
      'pending: stage 2/3 · 10% on web-green · alarms OK',
      'pending: stage 3/3 · 100% on web-green · alarms OK',
      'success: promoted web-green to 100%'
    ])
    for (const status of e2e.github.statuses()) {
      expect(status).toMatchObject({
        owner: 'acme',
        repo: 'web',
        sha: DEFAULT_SHA,
        context: CONTEXT,
        target_url: RUN_URL
      })
    }
  })

  it('ends a paused rollout with success saying where it paused', async () => {
    const s = await stack()

    const result = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '1:1s,10:pause,100:1s' })
    })

    expect(result.outputs.result).toBe('paused')
    expect(statusLines()).toEqual([
      'pending: stage 1/3 · 1% on web-green · alarms OK',
      'pending: stage 2/3 · 10% on web-green',
      'success: paused at 10% on web-green'
    ])
  })

  it('posts on the pull request head for pull_request events, under a given context', async () => {
    const s = await stack()
    const headSha = 'c0ffee0000000000000000000000000000c0ffee'

    const result = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '50:1s,100:1s', 'status-context': 'deploy/web canary' }),
      event: pullRequestEvent({ headSha })
    })

    expect(result.code).toBe(0)
    const statuses = e2e.github.statuses()
    expect(statuses).toHaveLength(3)
    expect(new Set(statuses.map(st => st.sha))).toEqual(new Set([headSha]))
    expect(new Set(statuses.map(st => st.context))).toEqual(new Set(['deploy/web canary']))
  })

  it('goes on without statuses, with exactly one warning, when GitHub answers 403', async () => {
    const s = await stack()
    e2e.github.setMode('deny')

    const result = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '1:1s,10:1s,100:1s' })
    })

    expect(result.code).toBe(0)
    expect(result.outputs.result).toBe('promoted')
    expect(await idleShares(s)).toEqual([100, 100])
    const warnings = result.commands.filter(c => c.command === 'warning')
    const aboutStatuses = warnings.filter(w => /commit status/i.test(w.message))
    expect(aboutStatuses).toHaveLength(1)
    expect(aboutStatuses[0].message).toMatch(/403/)
    expect(aboutStatuses[0].message).toMatch(/statuses: write/)
    // Refused once, asked no more.
    expect(e2e.github.requests().filter(r => r.path.includes('/statuses/'))).toHaveLength(1)
  })
})

describe('an alarm during a stage', () => {
  it('ends in failure naming the alarm, with the reason in the job summary', async () => {
    const s = await stack()
    const handle = startAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '1:1s,10:30s,100:1s' })
    })
    // Stage 2's status comes after its first alarm reading: fire the alarm once that is in.
    await until(() => statusLines().some(line => line.includes('stage 2/3')))
    await setAlarm(s.aws, 'web-5xx', 'ALARM', ALARM_REASON)

    const result = await handle.done

    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('rolled-back')
    expect(await idleShares(s)).toEqual([0, 0])
    const statuses = statusLines()
    expect(statuses.slice(0, 2)).toEqual([
      'pending: stage 1/3 · 1% on web-green · alarms OK',
      'pending: stage 2/3 · 10% on web-green · alarms OK'
    ])
    expect(statuses).toHaveLength(3)
    expect(statuses[2]).toMatch(
      /^failure: rolled back at 10%: alarm web-5xx is in ALARM: Threshold/
    )
    expect(e2e.github.statuses()[2].description!.length).toBeLessThanOrEqual(140)

    const { summary } = result
    expect(summary).toContain('**Rolled back** at 10%: all traffic is back on web-blue.')
    expect(summary).toContain(ALARM_REASON)
    expect(summary).toMatch(
      /\| 2\/3 \| 10% \| [\d:]{8} \| .* \| web-5xx ALARM · web-latency OK( · health OK)? \| rolled back \|/
    )
    expect(summary).toMatch(/```mermaid\n%%\{init: .*\}%%\nxychart-beta/)
    expect(chartLabels(summary)).toEqual(['1%', '10%', 'rolled back'])
  })
})

describe('the job summary', () => {
  it('gives the outcome, a table of stages and a chart of the share over time', async () => {
    const s = await stack()

    const result = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '1:1s,10:1s,100:1s' })
    })

    const { summary } = result
    expect(summary).toContain('### ecs-canary: traffic web-blue → web-green on web-cluster')
    expect(summary).toContain('**Promoted**: web-green takes 100% of the traffic.')
    expect(summary).toContain('| Stage | Share | Started (UTC) | Baked | Gates | Result |')
    const rows = summary.split('\n').filter(line => /^\| \d\/3 \|/.test(line))
    expect(rows).toHaveLength(3)
    // The bake lasts at least its 1 s; a loaded machine may see the last poll land a second later.
    expect(rows[0]).toMatch(
      /^\| 1\/3 \| 1% \| \d\d:\d\d:\d\d \| [12]s of 1s \| web-5xx OK · web-latency OK · health OK \| baked \|$/
    )
    expect(rows[2]).toMatch(/^\| 3\/3 \| 100% \|/)
    expect(summary).toMatch(/xychart-beta\n {2}title "web-green share of traffic per stage"/)
    // A bar for every stage reached.
    expect(chartLabels(summary)).toEqual(['1%', '10%', '100%'])
  })

  it('tells a manual rollback with its reason', async () => {
    const s = await stack()
    await runAction(e2e.context(s), { inputs: pairInputs(s, { stages: '10:pause,100:1s' }) })
    e2e.github.reset()

    const result = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { mode: 'rollback' }),
      env: { GITHUB_RUN_ID: '9191919191' }
    })

    expect(result.code).toBe(0)
    expect(result.summary).toContain('**Rolled back**: all traffic is back on web-blue.')
    expect(result.summary).toContain('rolled back by hand from 10%')
    expect(chartLabels(result.summary)).toEqual(['10% found', 'rolled back'])
    // Never a success after a rollback, and said once, not "rolled back: rolled back…".
    expect(statusLines()).toEqual([
      'failure: rolled back by hand from 10% (https://github.com/acme/web/actions/runs/9191919191/attempts/1)'
    ])
  })
})
