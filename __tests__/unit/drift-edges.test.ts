import { describe, expect, it } from '@jest/globals'
import { DriftError, describeShare, expectShare } from '../../src/engine/drift.js'
import type { TrafficPort } from '../../src/engine/ports.js'
import type { ForwardTarget, RuleView } from '../../src/engine/types.js'
import { GROUPS } from './fakes.js'

// What the drift check says when the rules are not as this run left them.

const rule = (arn: string, targets: ForwardTarget[], forwardActions = 1): RuleView => ({
  arn,
  kind: 'rule',
  forwardActions,
  targets,
  tags: {}
})

const split = (arn: string, live: number, idle: number) =>
  rule(arn, [
    { arn: GROUPS.live, weight: live },
    { arn: GROUPS.idle, weight: idle }
  ])

/** A traffic port that only reads, recording what it was asked with. */
function reading(views: RuleView[]) {
  const calls: unknown[] = []
  const traffic = {
    read: async (opts?: unknown) => {
      calls.push(opts)
      return views
    }
  } as unknown as TrafficPort
  return { traffic, calls }
}

async function driftOf(promise: Promise<unknown>): Promise<DriftError> {
  const error = await promise.catch((e: unknown) => e)
  expect(error).toBeInstanceOf(DriftError)
  return error as DriftError
}

describe('DriftError', () => {
  it('found nothing of the pair unless told otherwise', () => {
    expect(new DriftError('x').found).toBe(-1)
    expect(new DriftError('x', 50).found).toBe(50)
  })
})

describe('expectShare', () => {
  it('passes the cancel signal on to the read, so a cancel cuts it short', async () => {
    const { traffic, calls } = reading([split('rule-1', 95, 5)])
    const signal = new AbortController().signal
    await expectShare(traffic, GROUPS, 50, undefined, signal)
    expect(calls).toEqual([{ signal }])
  })

  it('reads without a signal when given none', async () => {
    const { traffic, calls } = reading([split('rule-1', 95, 5)])
    await expectShare(traffic, GROUPS, 50)
    expect(calls).toEqual([{}])
  })

  it('names every rule that moved, and what it found, with the way out', async () => {
    const { traffic } = reading([
      split('rule-1', 90, 10),
      split('rule-2', 95, 5),
      split('rule-3', 80, 20)
    ])
    const error = await driftOf(expectShare(traffic, GROUPS, 50))
    expect(error.message).toMatch(
      /^the weights changed under this run: expected 5% on the new revision, found 10% \(weights 10\/90\) on rule-1; 20% \(weights 20\/80\) on rule-3\. Someone else is acting on these rules \(a manual change or another tool\); this run stops without writing\. Once you know why, run with /
    )
    expect(error.found).toBe(100)
  })

  it('labels the weights with the services when it knows them', async () => {
    const { traffic } = reading([split('rule-1', 90, 10)])
    const names = { live: 'web-blue', idle: 'web-green' }
    const error = await driftOf(expectShare(traffic, GROUPS, 50, names))
    expect(error.message).toContain(
      'expected 5% on web-green, found 10% (weights web-green=10/web-blue=90) on rule-1.'
    )
  })

  it('found is -1 when the first rule that moved is not a split of the pair', async () => {
    const { traffic } = reading([
      rule('rule-1', [
        { arn: GROUPS.live, weight: 50 },
        { arn: 'tg-other', weight: 50 }
      ]),
      split('rule-2', 90, 10)
    ])
    const error = await driftOf(expectShare(traffic, GROUPS, 50))
    expect(error.found).toBe(-1)
    expect(error.message).toContain(
      'found a forward to other target groups (tg-blue=50, tg-other=50) on rule-1; 10% (weights 10/90) on rule-2.'
    )
  })
})

describe('describeShare', () => {
  it('reads a missing idle group as weight 0', () => {
    const view = rule('rule-1', [{ arn: GROUPS.live, weight: 1 }])
    expect(describeShare(view, GROUPS)).toEqual({ tenths: 0, ours: true, text: '0% (weights 0/1)' })
  })

  it('reads a missing live group as weight 0', () => {
    const view = rule('rule-1', [{ arn: GROUPS.idle, weight: 3 }])
    expect(describeShare(view, GROUPS).tenths).toBe(1000)
  })

  it('says when the pair gets no traffic at all', () => {
    expect(describeShare(split('rule-1', 0, 0), GROUPS)).toEqual({
      tenths: -1,
      ours: true,
      text: 'no traffic at all'
    })
  })

  it('lists every target with its weight when the rule is not ours', () => {
    const view = rule(
      'rule-1',
      [
        { arn: GROUPS.live, weight: 95 },
        { arn: GROUPS.idle, weight: 5 }
      ],
      2
    )
    expect(describeShare(view, GROUPS)).toEqual({
      tenths: 50,
      ours: false,
      text: 'a forward to other target groups (tg-blue=95, tg-green=5)'
    })
  })
})
