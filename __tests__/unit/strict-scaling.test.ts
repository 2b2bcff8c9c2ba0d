import { describe, expect, it } from '@jest/globals'
import { IMPLICIT, callChecking } from '../e2e/support/iam-moto.js'
import { clampAfterRegister, clampedCount } from '../e2e/support/strict-scaling.js'
import type { MotoCall } from '../e2e/support/strict-scaling.js'

// The stand-in's Application Auto Scaling rules (e2e/support/README.md), checked against the
// text they cite.

/** moto as the stand-in sees it: one target and one service, every call recorded. */
function moto(
  target: { min: number; max: number } | undefined,
  desired: number,
  status = 'ACTIVE'
) {
  const calls: string[] = []
  const call: MotoCall = async (service, operation, input) => {
    calls.push(`${service} ${operation} ${JSON.stringify(input)}`)
    if (operation === 'DescribeScalableTargets') {
      return {
        ScalableTargets: target ? [{ MinCapacity: target.min, MaxCapacity: target.max }] : []
      }
    }
    if (operation === 'DescribeServices') return { services: [{ desiredCount: desired, status }] }
    return {}
  }
  return { calls, call }
}

const REGISTER = {
  ServiceNamespace: 'ecs',
  ScalableDimension: 'ecs:service:DesiredCount',
  ResourceId: 'service/prod/web-blue',
  SuspendedState: { DynamicScalingInSuspended: false }
}

describe('aas-capacity: "it changes the resource\'s current capacity to a value that is inside of this range"', () => {
  it.each([
    [0, 1, 10, 1],
    [12, 1, 10, 10],
    [5, 1, 10, 5],
    [0, 0, 10, 0]
  ])('a count of %i in %i..%i becomes %i', (desired, min, max, after) => {
    expect(clampedCount(min, max, desired)).toBe(after)
  })

  it('sends the UpdateService that moves a count below MinCapacity up to it, on an update naming only SuspendedState', async () => {
    const m = moto({ min: 1, max: 10 }, 0)
    expect(await clampAfterRegister(REGISTER, m.call)).toEqual({
      resourceId: 'service/prod/web-blue',
      from: 0,
      to: 1
    })
    expect(m.calls.at(-1)).toBe(
      'ecs UpdateService {"cluster":"prod","service":"web-blue","desiredCount":1}'
    )
  })

  it('cuts a count above MaxCapacity down to it', async () => {
    const m = moto({ min: 1, max: 4 }, 6)
    expect(await clampAfterRegister(REGISTER, m.call)).toMatchObject({ from: 6, to: 4 })
  })

  it('leaves a count inside the range, an inactive service, and other namespaces alone', async () => {
    for (const m of [moto({ min: 1, max: 10 }, 3), moto({ min: 1, max: 10 }, 0, 'INACTIVE')]) {
      expect(await clampAfterRegister(REGISTER, m.call)).toBeUndefined()
      expect(m.calls.some(c => c.includes('UpdateService'))).toBe(false)
    }
    const other = moto({ min: 1, max: 10 }, 0)
    await clampAfterRegister({ ...REGISTER, ServiceNamespace: 'dynamodb' }, other.call)
    expect(other.calls).toEqual([])
  })
})

describe("aas-target-permissions: the caller's own ecs:DescribeServices and ecs:UpdateService", () => {
  const onRegister = IMPLICIT.filter(check => check.operation === 'RegisterScalableTarget')

  it('checks both ECS actions on RegisterScalableTarget for an ECS target, as a ValidationException', () => {
    expect(onRegister.map(check => check.action).sort()).toEqual([
      'ecs:DescribeServices',
      'ecs:UpdateService'
    ])
    for (const check of onRegister) {
      expect(check.applies(REGISTER)).toBe(true)
      expect(check.applies({ ...REGISTER, ServiceNamespace: 'dynamodb' })).toBe(false)
      expect(check.error).toBe('ValidationException')
    }
  })

  it('names the call that fails first without each: the action reads its services itself first', () => {
    expect(callChecking('ecs:UpdateService')).toBe('RegisterScalableTarget')
    expect(callChecking('ecs:DescribeServices')).toBe('DescribeServices')
  })
})
