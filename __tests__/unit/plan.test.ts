import { describe, expect, it } from '@jest/globals'
import {
  formatDuration,
  formatPlan,
  parseDuration,
  parsePlan,
  remainingStages,
  shareOf,
  weightsFor
} from '../../src/engine/plan.js'

const FIVE_MIN = 300_000

describe('parsePlan', () => {
  it('reads the default ladder with the default bake', () => {
    expect(parsePlan('1,2,5,10,50,100', FIVE_MIN)).toEqual(
      [10, 20, 50, 100, 500, 1000].map(tenths => ({ tenths, bake: { kind: 'bake', ms: FIVE_MIN } }))
    )
  })

  it('reads decimals, own bakes and pauses, separated by spaces, commas or newlines', () => {
    expect(parsePlan('0.5:2m 5:10m,25:pause\n100', FIVE_MIN)).toEqual([
      { tenths: 5, bake: { kind: 'bake', ms: 120_000 } },
      { tenths: 50, bake: { kind: 'bake', ms: 600_000 } },
      { tenths: 250, bake: { kind: 'pause' } },
      { tenths: 1000, bake: { kind: 'bake', ms: FIVE_MIN } }
    ])
  })

  it('accepts 100 alone (finish at once when promoting)', () => {
    expect(parsePlan('100:30s', FIVE_MIN)).toEqual([
      { tenths: 1000, bake: { kind: 'bake', ms: 30_000 } }
    ])
  })

  it.each([
    ['', "Input 'stages': no stages given"],
    ['1,2,5', "Input 'stages': the last stage must be 100, not 5%"],
    ['5,2,100', "Input 'stages': stages must rise strictly: 2% comes after 5%"],
    ['5,5,100', "Input 'stages': stages must rise strictly: 5% comes after 5%"],
    [
      '1,0,100',
      "Input 'stages': '0': a 0 stage (test traffic only, production at 0%) can only be the first stage"
    ],
    ['0.05,100', "Input 'stages': '0.05' has more than one decimal: shares go in steps of 0.1%"],
    ['150', "'150': 150% is outside 0.1–100"],
    ['-1,100', "Input 'stages': '-1' is not a percentage"],
    ['ten,100', "Input 'stages': 'ten' is not a percentage"],
    ['5%,100', "'5%': drop the % sign; every share is a percentage already (write 5, not 5%)"],
    ['5%%,100', "Input 'stages': '5%%' is not a percentage"],
    ['5:1m:x,100', "'5:1m:x' has more than one ':'"],
    ['5:10,100', "Input 'stages': '10' is not a duration; write it with a unit"],
    ['5:soon,100', "'soon' is not a duration"],
    ['5:1m:2m,100', "'5:1m:2m' has more than one ':'"],
    ['5,100:pause', "'100:pause' cannot be resumed"]
  ])('refuses %j with a message naming the input and value', (value, message) => {
    expect(() => parsePlan(value, FIVE_MIN)).toThrow(message)
  })
})

describe('parseDuration', () => {
  it.each([
    ['45s', 45_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1500ms', 1500],
    ['1.5s', 1500],
    [' 2M ', 120_000]
  ])('reads %j', (value, ms) => expect(parseDuration('bake-time', value)).toBe(ms))

  it.each(['5', 'm', '5 m', '5d', '-5s', ''])('refuses %j naming the input', value => {
    expect(() => parseDuration('bake-time', value)).toThrow(`Input 'bake-time': '${value}'`)
  })

  it.each([1500, 45_000, 300_000, 5_400_000, 3_661_000])('formats %i so that it reads back', ms => {
    expect(parseDuration('x', formatDuration(ms))).toBe(ms)
  })
})

describe('weightsFor', () => {
  it('gives every 0.1% step from 0.1 to 100 exactly, both weights within 0–999', () => {
    for (let tenths = 1; tenths <= 1000; tenths++) {
      const w = weightsFor(tenths)
      for (const weight of [w.idle, w.live]) {
        expect(Number.isInteger(weight) && weight >= 0 && weight <= 999).toBe(true)
      }
      expect((w.idle * 1000) / (w.idle + w.live)).toBe(tenths)
      expect(shareOf(w)).toEqual({ tenths, exact: true })
    }
  })

  it('reads like the plan for whole percentages', () => {
    expect(weightsFor(50)).toEqual({ idle: 5, live: 95 })
    expect(weightsFor(5)).toEqual({ idle: 5, live: 995 })
    expect(weightsFor(1000)).toEqual({ idle: 100, live: 0 })
    expect(weightsFor(0)).toEqual({ idle: 0, live: 100 })
  })

  it('refuses shares outside 0..1000 tenths', () => {
    expect(() => weightsFor(1001)).toThrow(RangeError)
    expect(() => weightsFor(2.5)).toThrow(RangeError)
  })
})

describe('shareOf', () => {
  it('says when a hand-set split is not exact to 0.1%', () => {
    expect(shareOf({ idle: 1, live: 2 })).toEqual({ tenths: 333, exact: false })
    expect(shareOf({ idle: 0, live: 0 })).toBeUndefined()
  })
})

describe('formatPlan / remainingStages', () => {
  it('writes the compact form kept in tags, which parses back to the same plan', () => {
    const plan = parsePlan('0.5:2m 5:10m 25:pause 100', FIVE_MIN)
    expect(formatPlan(plan)).toBe('0.5:2m 5:10m 25:pause 100:5m')
    expect(parsePlan(formatPlan(plan), 1)).toEqual(plan)
  })

  it('keeps the stages above the current share', () => {
    const plan = parsePlan('1,2,5,10,50,100', FIVE_MIN)
    expect(remainingStages(plan, 100).map(s => s.tenths)).toEqual([500, 1000])
  })
})
