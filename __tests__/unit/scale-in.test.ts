import { describe, it, expect } from '@jest/globals'
import {
  afterRegister,
  resumeCommand,
  type ScalableTargetView
} from '../../src/aws/autoscaling/scaling.js'
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
  resumeCommand?: (service: string, target?: ScalableTargetView) => string
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

  it('says where the suspend moved a service whose count was outside its range', async () => {
    const scaling = new FakeScaling({ 'web-blue': false, 'web-green': false })
    const log = new MemoryLog()
    const hold = new ScaleInHold(scaling, recorder(scaling.events), [], log)
    await hold.suspend(
      ['web-blue', 'web-green'],
      new Map([
        ['web-blue', 3],
        ['web-green', 12]
      ])
    )
    const text = log.lines.join('\n')
    expect(text).toMatch(/Suspending the scale-in of web-green .*from 12 to 10/)
    expect(text).not.toMatch(/web-blue re-registered/)
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
    ).rejects.toThrow(/denied on web-blue.*still lists it.*\n.*register-scalable-target/s)
    expect(scaling.events).toEqual(['resume web-green', 'record web-blue'])
  })

  it('names each service and the exact command that resumes it when the targets cannot be read', async () => {
    const scaling = new FakeScaling({})
    scaling.describe = async () => {
      throw new Error('DescribeScalableTargets failed: no credentials')
    }
    scaling.resumeCommand = (service: string, target?: ScalableTargetView) =>
      resumeCommand('prod', service, 'eu-west-1', target?.suspendedState)
    const error = await restoreScaling({
      scaling,
      services: ['web-blue', 'web-green'],
      record: recorder(scaling.events),
      log: new MemoryLog()
    }).catch((e: Error) => e)
    const message = (error as Error).message
    expect(message).toContain('Could not resume the scale-in of web-blue and web-green')
    for (const service of ['web-blue', 'web-green']) {
      expect(message.split('\n')).toContain(
        'aws application-autoscaling register-scalable-target --region eu-west-1 ' +
          '--service-namespace ecs --scalable-dimension ecs:service:DesiredCount ' +
          `--resource-id service/prod/${service} --suspended-state DynamicScalingInSuspended=false`
      )
    }
    // Nothing could be resumed, so the record is left as it is.
    expect(scaling.events).toEqual([])
  })

  it('says where AWS moved a count on the resume, instead of letting a scale-down stand', async () => {
    const scaling = new FakeScaling({ 'web-blue': true })
    const log = new MemoryLog()
    await restoreScaling({
      scaling,
      services: ['web-blue'],
      record: recorder(scaling.events),
      log,
      counts: async () => new Map([['web-blue', 0]])
    })
    expect(log.lines.join('\n')).toMatch(
      /Resuming the scale-in of web-blue .*moved its desired count from 0 to 1, inside its MinCapacity 1\.\.MaxCapacity 10/
    )
  })

  it('says nothing about counts AWS leaves where they are', async () => {
    const scaling = new FakeScaling({ 'web-blue': true })
    const log = new MemoryLog()
    await restoreScaling({
      scaling,
      services: ['web-blue'],
      record: recorder(scaling.events),
      log,
      counts: async () => new Map([['web-blue', 4]])
    })
    expect(log.lines.join('\n')).not.toMatch(/moved its desired count/)
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

describe('afterRegister (RegisterScalableTarget moves the current capacity inside the range)', () => {
  it.each([
    [0, 1],
    [1, 1],
    [5, 5],
    [10, 10],
    [12, 10]
  ])('a desired count of %i becomes %i in 1..10', (desired, after) => {
    expect(afterRegister({ minCapacity: 1, maxCapacity: 10 }, desired)).toBe(after)
  })
})

describe('resumeCommand', () => {
  it('writes the other two flags back as read, and takes a cluster ARN', () => {
    expect(
      resumeCommand('arn:aws:ecs:eu-west-1:123456789012:cluster/prod', 'web-blue', 'eu-west-1', {
        DynamicScalingInSuspended: true,
        DynamicScalingOutSuspended: true,
        ScheduledScalingSuspended: false
      })
    ).toBe(
      'aws application-autoscaling register-scalable-target --region eu-west-1 ' +
        '--service-namespace ecs --scalable-dimension ecs:service:DesiredCount ' +
        '--resource-id service/prod/web-blue --suspended-state ' +
        'DynamicScalingInSuspended=false,DynamicScalingOutSuspended=true,ScheduledScalingSuspended=false'
    )
  })
})
