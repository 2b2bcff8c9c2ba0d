import { describe, expect, it } from '@jest/globals'
import {
  capacityPlan,
  capacityText,
  DEFAULT_FOLLOW,
  followCount,
  type FollowPolicy
} from '../../src/engine/capacity.js'
import { parsePlan } from '../../src/engine/plan.js'

const policy = (headroomTenths: number, minTasks: number): FollowPolicy => ({
  headroomTenths,
  minTasks
})

describe('followCount', () => {
  it.each([
    // live, share (tenths), expected: ceil(live × share × 1.25), at least 1, at most live
    [60, 10, 1],
    [60, 20, 2],
    [60, 50, 4],
    [60, 100, 8],
    [60, 500, 38],
    [60, 1000, 60],
    [10, 10, 1],
    [10, 500, 7],
    [4, 900, 4]
  ])('gives a %i-task service at %i tenths %i tasks with the defaults', (live, tenths, want) => {
    expect(followCount(live, tenths, DEFAULT_FOLLOW)).toBe(want)
  })

  it('rounds an exact half-task up without floating-point drift (60 × 10% × 1.25 = 7.5 → 8)', () => {
    expect(followCount(60, 100, policy(250, 1))).toBe(8)
    // 40 × 10% × 1.25 = 5 exactly: no extra task from a 5.000…01
    expect(followCount(40, 100, policy(250, 1))).toBe(5)
  })

  it('applies the headroom as a factor on the share', () => {
    expect(followCount(100, 100, policy(0, 1))).toBe(10)
    expect(followCount(100, 100, policy(500, 1))).toBe(15)
    expect(followCount(100, 100, policy(1000, 1))).toBe(20)
  })

  it('never goes below the minimum, even at 0.1%', () => {
    expect(followCount(60, 1, policy(250, 2))).toBe(2)
    expect(followCount(60, 1, policy(250, 1))).toBe(1)
  })

  it('never goes above the live count, whatever the minimum or headroom', () => {
    expect(followCount(3, 10, policy(250, 5))).toBe(3)
    expect(followCount(10, 900, policy(1000, 1))).toBe(10)
  })

  it('gives the full live count at 100%, headroom or not', () => {
    expect(followCount(60, 1000, policy(0, 1))).toBe(60)
    expect(followCount(7, 1000, policy(250, 1))).toBe(7)
  })
})

describe('capacityPlan', () => {
  it('lists the count for every stage above the starting share', () => {
    const plan = parsePlan('1,2,5,10,50,100', 1000)
    expect(capacityPlan(60, plan, 20, DEFAULT_FOLLOW)).toEqual([
      { tenths: 50, desiredCount: 4 },
      { tenths: 100, desiredCount: 8 },
      { tenths: 500, desiredCount: 38 },
      { tenths: 1000, desiredCount: 60 }
    ])
  })

  it('never lowers the count from one stage to the next', () => {
    const plan = parsePlan('0.1,0.5,1,3,7,20,33.3,50,75,99.9,100', 1000)
    const counts = capacityPlan(37, plan, 0, policy(333, 2)).map(s => s.desiredCount)
    expect(counts).toEqual([...counts].sort((a, b) => a - b))
    expect(counts.at(-1)).toBe(37)
  })
})

describe('capacityText', () => {
  it('reads as share → tasks', () => {
    expect(
      capacityText([
        { tenths: 10, desiredCount: 1 },
        { tenths: 1000, desiredCount: 60 }
      ])
    ).toBe('1% → 1 task, 100% → 60 tasks')
  })
})
