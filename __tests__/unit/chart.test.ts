import { describe, expect, it } from '@jest/globals'
import { elapsedLabel, shareChart } from '../../src/github/chart.js'
import type { RolloutRecord } from '../../src/engine/types.js'

const MIN = 60_000
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0)

function record(timeline: RolloutRecord['timeline'], endAt: number, final?: number): RolloutRecord {
  return {
    startedAt: T0,
    stages: [{ index: 0, tenths: 10, startedAt: T0, endedAt: endAt, status: 'baked', detail: '' }],
    timeline,
    ...(final === undefined
      ? {}
      : {
          outcome: {
            result: 'rolled-back',
            tenths: final,
            reason: '',
            liveService: 'web-blue',
            idleService: 'web-green'
          }
        })
  }
}

/** The x labels and y values of the chart's line. */
function series(chart: string): { labels: string[]; values: number[] } {
  const labels = /x-axis "elapsed" \[(.*)\]/.exec(chart)?.[1] ?? ''
  const values = /line \[(.*)\]/.exec(chart)?.[1] ?? ''
  return {
    labels: labels.split(', ').map(l => JSON.parse(l) as string),
    values: values.split(', ').map(Number)
  }
}

describe('shareChart', () => {
  const rolledBack = record(
    [
      { at: T0 + 5_000, tenths: 10 },
      { at: T0 + 6 * MIN, tenths: 100 },
      { at: T0 + 8 * MIN, tenths: 0 }
    ],
    T0 + 8 * MIN,
    0
  )

  it('spaces its points evenly in time, with unique labels', () => {
    const { labels } = series(
      shareChart({ record: rolledBack, newService: 'web-green', fromZero: true })
    )
    expect(new Set(labels).size).toBe(labels.length)
    expect(labels[0]).toBe('0s')
    expect(labels[labels.length - 1]).toBe('8m')
    // 8 minutes over 24 steps: one point every 20 s.
    expect(labels.slice(0, 4)).toEqual(['0s', '20s', '40s', '1m'])
  })

  it('shows every level the run reached and ends on the share it ended with', () => {
    const { values } = series(
      shareChart({ record: rolledBack, newService: 'web-green', fromZero: true })
    )
    expect(values[0]).toBe(0)
    expect(values).toContain(1)
    expect(values).toContain(10)
    expect(values[values.length - 1]).toBe(0)
  })

  it('shows a stage shorter than the spacing of the points', () => {
    const brief = record(
      [
        { at: T0, tenths: 0 },
        { at: T0 + 10 * MIN, tenths: 500 },
        { at: T0 + 10 * MIN + 2_000, tenths: 0 }
      ],
      T0 + 20 * MIN,
      0
    )
    expect(
      series(shareChart({ record: brief, newService: 'web-green', fromZero: true })).values
    ).toContain(50)
  })

  it('never writes a label Mermaid would escape, even for a run under a second', () => {
    const quick = record(
      [
        { at: T0 + 40, tenths: 10 },
        { at: T0 + 300, tenths: 1000 }
      ],
      T0 + 400
    )
    const chart = shareChart({ record: quick, newService: 'web-green', fromZero: true })
    const { labels } = series(chart)
    expect(/x-axis.*/.exec(chart)?.[0]).not.toMatch(/[<>&]/)
    expect(new Set(labels).size).toBe(labels.length)
    expect(labels[labels.length - 1]).toBe('400ms')
  })

  it('starts a promote chart at the share the run found', () => {
    const promote = record(
      [
        { at: T0, tenths: 100 },
        { at: T0 + 6 * MIN, tenths: 1000 }
      ],
      T0 + 11 * MIN
    )
    const { values } = series(
      shareChart({ record: promote, newService: 'web-green', fromZero: false })
    )
    expect(values[0]).toBe(10)
    expect(values[values.length - 1]).toBe(100)
  })
})

describe('elapsedLabel', () => {
  it('labels at the resolution of the spacing', () => {
    expect(elapsedLabel(90_000, 20_000)).toBe('1m30s')
    expect(elapsedLabel(2_500, 250)).toBe('2.5s')
    expect(elapsedLabel(40, 10)).toBe('40ms')
  })
})
