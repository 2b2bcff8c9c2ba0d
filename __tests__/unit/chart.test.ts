import { describe, expect, it } from '@jest/globals'
import { bars, height, rollbackCaption, shareChart } from '../../src/github/chart.js'
import type { Outcome, RolloutRecord, StageRecord } from '../../src/engine/types.js'

const MIN = 60_000
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0)

function stage(index: number, tenths: number, from: number, to: number): StageRecord {
  return { index, tenths, startedAt: T0 + from, endedAt: T0 + to, status: 'baked', detail: '' }
}

function ending(result: Outcome['result'], tenths: number): Outcome {
  return { result, tenths, reason: '', liveService: 'web-blue', idleService: 'web-green' }
}

/** The README's ladder, rolled back 20 s into 50%. */
const rolledBack: RolloutRecord = {
  startedAt: T0,
  stages: [
    stage(0, 10, 0, 2 * MIN),
    stage(1, 20, 2 * MIN, 4 * MIN),
    stage(2, 50, 4 * MIN, 9 * MIN),
    stage(3, 100, 9 * MIN, 14 * MIN),
    { ...stage(4, 500, 14 * MIN, 14 * MIN + 20_000), status: 'rolled-back' }
  ],
  timeline: [],
  outcome: ending('rolled-back', 0)
}

/** The x labels and the bar heights of the chart. */
function series(chart: string): { labels: string[]; values: number[] } {
  const labels = /x-axis \[(.*)\]/.exec(chart)?.[1] ?? ''
  const values = /bar \[(.*)\]/.exec(chart)?.[1] ?? ''
  return {
    labels: labels.split(', ').map(l => JSON.parse(l) as string),
    values: values.split(', ').map(Number)
  }
}

describe('shareChart', () => {
  it('draws a bar per stage reached, 1% included, then the drop of the rollback', () => {
    const { labels, values } = series(
      shareChart({ record: rolledBack, newService: 'web-green', fromZero: true })
    )
    expect(labels).toEqual(['1%', '2%', '5%', '10%', '50%', 'rolled back'])
    // Square-root heights: 1% stands a tenth of the chart, not a hair above 0.
    expect(values).toEqual([10, 14.1, 22.4, 31.6, 70.7, 0])
  })

  it('says when and from which share it rolled back', () => {
    expect(rollbackCaption(rolledBack)).toBe(
      'Rolled back from 50% after 14m20s, 20s into the stage.'
    )
    expect(shareChart({ record: rolledBack, newService: 'web-green', fromZero: true })).toContain(
      'Rolled back from 50% after 14m20s'
    )
  })

  it('sets its own colours in the diagram instead of trusting the theme', () => {
    const chart = shareChart({ record: rolledBack, newService: 'web-green', fromZero: true })
    const init = /%%\{init: (.*)\}%%/.exec(chart)?.[1] ?? '{}'
    const parsed = JSON.parse(init) as { themeVariables: { xyChart: Record<string, string> } }
    expect(parsed.themeVariables.xyChart.backgroundColor).toBe('#ffffff')
    expect(parsed.themeVariables.xyChart.plotColorPalette).not.toMatch(/ECECFF/i)
  })

  it('draws nothing when no traffic moved', () => {
    const still: RolloutRecord = {
      startedAt: T0,
      stages: [],
      timeline: [{ at: T0, tenths: 0 }],
      outcome: ending('unchanged', 0)
    }
    expect(shareChart({ record: still, newService: 'web-green', fromZero: true })).toBe('')
  })

  it('draws what a reconcile found and put back, with no stages of its own', () => {
    const reconcile: RolloutRecord = {
      startedAt: T0,
      stages: [],
      timeline: [
        { at: T0, tenths: 50 },
        { at: T0 + 67, tenths: 0 }
      ],
      outcome: ending('rolled-back', 0)
    }
    expect(bars(reconcile)).toEqual([
      { label: '5% found', tenths: 50 },
      { label: 'rolled back', tenths: 0 }
    ])
  })

  it('keeps labels unique so Mermaid does not merge two bars', () => {
    const twice: RolloutRecord = {
      startedAt: T0,
      stages: [stage(0, 100, 0, MIN), stage(1, 100, MIN, 2 * MIN)],
      timeline: []
    }
    expect(bars(twice).map(b => b.label)).toEqual(['10%', '10% (2)'])
  })

  it('never writes a label Mermaid would escape', () => {
    const chart = shareChart({
      record: rolledBack,
      newService: 'web<green>&',
      fromZero: true
    })
    expect(/title.*/.exec(chart)?.[0]).not.toMatch(/[<>&]/)
  })
})

describe('height', () => {
  it('is the square root of the share, on 0..100', () => {
    expect([height(1), height(10), height(250), height(1000)]).toEqual([3.2, 10, 50, 100])
  })
})
