import { describe, it, expect } from '@jest/globals'
import type { ScalableTargetView } from '../../src/aws/autoscaling/scaling.js'
import {
  recordedScaleIn,
  restoreScaling,
  ScaleInHold,
  scaleInTag,
  type ScalingPort
} from '../../src/modes/scale-in.js'
import type { RuleView } from '../../src/engine/types.js'
import { MemoryLog } from './fakes.js'

/** Scalable targets in memory; every call in one ordered list with the record writes. */
class FakeScaling implements ScalingPort {
  events: string[] = []
  failResume = new Set<string>()
  constructor(public suspended: Record<string, boolean>) {}
  async describe(services: readonly string[]) {
    const found = new Map<string, ScalableTargetView>()
    for (const s of services) {
      if (!(s in this.suspended)) continue
      found.set(s, {
        service: s,
        resourceId: `service/prod/${s}`,
        minCapacity: 1,
        maxCapacity: 10,
        scaleInSuspended: this.suspended[s],
        suspendedState: { DynamicScalingInSuspended: this.suspended[s] }
      })
    }
    return found
  }
  async setScaleIn(t: ScalableTargetView, suspended: boolean) {
    if (!suspended && this.failResume.has(t.service)) throw new Error(`denied on ${t.service}`)
    this.events.push(`${suspended ? 'suspend' : 'resume'} ${t.service}`)
    this.suspended[t.service] = suspended
  }
}

function recorder(events: string[]) {
  return async (tags: Record<string, string>) => {
    events.push(`record ${Object.values(tags).join()}`)
  }
}

const rule = (tags: Record<string, string>): RuleView => ({
  arn: 'rule-1',
  kind: 'rule',
  forwardActions: 1,
  targets: [],
  tags
})

describe('ScaleInHold', () => {
  it('records the services before it suspends them', async () => {
    const scaling = new FakeScaling({ 'web-blue': false, 'web-green': false })
    const hold = new ScaleInHold(scaling, recorder(scaling.events), [], new MemoryLog())
    await hold.suspend(['web-blue', 'web-green'])
    expect(scaling.events).toEqual([
      'record web-blue web-green',
      'suspend web-blue',
      'suspend web-green'
    ])
    expect(hold.services).toEqual(['web-blue', 'web-green'])
  })

  it('leaves a service without a scalable target, or suspended by someone else, alone', async () => {
    const scaling = new FakeScaling({ 'web-blue': true })
    const hold = new ScaleInHold(scaling, recorder(scaling.events), [], new MemoryLog())
    await hold.suspend(['web-blue', 'web-green'])
    await hold.resume()
    // Nothing suspended by us: nothing written, and the other actor's suspension stays.
    expect(scaling.events).toEqual([])
    expect(scaling.suspended['web-blue']).toBe(true)
  })

  it('resumes what it suspended, then clears the record', async () => {
    const scaling = new FakeScaling({ 'web-blue': false })
    const hold = new ScaleInHold(scaling, recorder(scaling.events), [], new MemoryLog())
    await hold.suspend(['web-blue'])
    await hold.resume()
    expect(scaling.events).toEqual([
      'record web-blue',
      'suspend web-blue',
      'resume web-blue',
      'record none'
    ])
    expect(hold.services).toEqual([])
  })

  it('carries a paused rollout’s record over and resumes it at the end', async () => {
    const scaling = new FakeScaling({ 'web-blue': true, 'web-green': true })
    const log = new MemoryLog()
    const hold = new ScaleInHold(scaling, recorder(scaling.events), ['web-blue', 'web-green'], log)
    await hold.suspend(['web-blue', 'web-green'])
    hold.explainPause()
    expect(log.lines.join('\n')).toMatch(
      /scale-in of web-blue and web-green stays suspended while the rollout is paused/
    )
    await hold.resume()
    expect(scaling.events).toEqual(['resume web-blue', 'resume web-green', 'record none'])
  })
})

describe('restoreScaling', () => {
  it('tries every service, keeps the failed ones in the record and says how to finish', async () => {
    const scaling = new FakeScaling({ 'web-blue': true, 'web-green': true })
    scaling.failResume.add('web-blue')
    await expect(
      restoreScaling({
        scaling,
        services: ['web-blue', 'web-green'],
        record: recorder(scaling.events),
        log: new MemoryLog()
      })
    ).rejects.toThrow(/denied on web-blue.*still lists web-blue.*register-scalable-target/)
    expect(scaling.events).toEqual(['resume web-green', 'record web-blue'])
  })

  it('writes nothing when the record lists nothing', async () => {
    const scaling = new FakeScaling({ 'web-blue': true })
    const left = await restoreScaling({
      scaling,
      services: [],
      record: recorder(scaling.events),
      log: new MemoryLog()
    })
    expect(left).toEqual([])
    expect(scaling.events).toEqual([])
  })
})

describe('the record tag', () => {
  it('round-trips through the rules, none included', () => {
    expect(recordedScaleIn([rule(scaleInTag(['web-blue', 'web-green']))])).toEqual([
      'web-blue',
      'web-green'
    ])
    expect(recordedScaleIn([rule(scaleInTag([]))])).toEqual([])
    expect(recordedScaleIn([rule({})])).toEqual([])
  })
})
