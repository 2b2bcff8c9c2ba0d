import { describe, it, expect, beforeEach } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import 'aws-sdk-client-mock-jest'
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client
} from '@aws-sdk/client-elastic-load-balancing-v2'
import type {
  DescribeTargetHealthCommandOutput,
  TargetHealthDescription
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { requireHealthyTargets, targetGroupName } from '../../src/aws/elb/health.js'
import type { Log } from '../../src/engine/types.js'
import { FakeClock } from './fakes.js'

const elb = mockClient(ElasticLoadBalancingV2Client)
const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' })
const GREEN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/0a1b2c3d'

const healthy = (id: string): TargetHealthDescription => ({
  Target: { Id: id, Port: 8080 },
  TargetHealth: { State: 'healthy' }
})
const failingChecks = {
  Target: { Id: '10.0.1.7', Port: 8080 },
  TargetHealth: {
    State: 'unhealthy',
    Reason: 'Target.ResponseCodeMismatch',
    Description: 'Health checks failed with these codes: [502]'
  }
} satisfies TargetHealthDescription
const stillChecking = {
  Target: { Id: '10.0.1.8', Port: 8080 },
  TargetHealth: { State: 'initial', Reason: 'Elb.InitialHealthChecking' }
} satisfies TargetHealthDescription
const leaving = {
  Target: { Id: '10.0.1.9', Port: 8080 },
  TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress' }
} satisfies TargetHealthDescription
const leavingBroken = {
  Target: { Id: '10.0.1.10', Port: 8080 },
  TargetHealth: { State: 'unhealthy.draining', Reason: 'Target.FailedHealthChecks' }
} satisfies TargetHealthDescription

function targets(...list: TargetHealthDescription[]): DescribeTargetHealthCommandOutput {
  return { TargetHealthDescriptions: list, $metadata: {} }
}

const lines: string[] = []
const log: Log = { info: l => lines.push(l), warn: l => lines.push(l), debug: () => {} }

beforeEach(() => {
  elb.reset()
  lines.length = 0
})

describe('requireHealthyTargets', () => {
  it('passes when every target is healthy and there are enough of them', async () => {
    elb.on(DescribeTargetHealthCommand).resolves(targets(healthy('10.0.1.5'), healthy('10.0.1.6')))
    await requireHealthyTargets(client, GREEN, 2, log)
    expect(elb).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: GREEN })
    expect(lines).toEqual(['Target group web-green: 2 healthy target(s)'])
  })

  it('stops on unhealthy targets and lists each with its reason code', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .resolves(targets(healthy('10.0.1.5'), failingChecks, stillChecking))
    const check = requireHealthyTargets(client, GREEN, 1, log)
    await expect(check).rejects.toThrow("Target group 'web-green' is not ready for traffic")
    await expect(check).rejects.toThrow('2 of 3 targets are not healthy')
    await expect(check).rejects.toThrow(
      '10.0.1.7:8080 unhealthy Target.ResponseCodeMismatch (Health checks failed with these codes: [502])'
    )
    await expect(check).rejects.toThrow('10.0.1.8:8080 initial Elb.InitialHealthChecking')
    await expect(check).rejects.toThrow("idle service's latest events")
  })

  it('stops when fewer targets are healthy than the idle service runs', async () => {
    elb.on(DescribeTargetHealthCommand).resolves(targets(healthy('10.0.1.5')))
    await expect(requireHealthyTargets(client, GREEN, 3, log)).rejects.toThrow(
      "Target group 'web-green' has 1 healthy target(s), but needs at least 3"
    )
  })

  it('refuses an empty target group even when the desired count is 0', async () => {
    elb.on(DescribeTargetHealthCommand).resolves(targets())
    await expect(requireHealthyTargets(client, GREEN, 0, log)).rejects.toThrow(
      'has 0 healthy target(s), but needs at least 1'
    )
  })

  it('does not count draining targets, healthy or not', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .resolves(targets(healthy('10.0.1.5'), leaving, leavingBroken))
    await requireHealthyTargets(client, GREEN, 1, log)
    expect(lines).toEqual(['Target group web-green: 1 healthy target(s); 2 draining, not counted'])
    await expect(requireHealthyTargets(client, GREEN, 2, log)).rejects.toThrow(
      'has 1 healthy target(s), but needs at least 2'
    )
  })
})

describe('requireHealthyTargets with a wait (targets start initial)', () => {
  const registering = (id: string): TargetHealthDescription => ({
    Target: { Id: id, Port: 8080 },
    TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress' }
  })

  it('polls until every target is healthy, printing progress, instead of failing at once', async () => {
    const clock = new FakeClock()
    const start = clock.now()
    elb
      .on(DescribeTargetHealthCommand)
      .resolvesOnce(targets(registering('10.0.1.5'), registering('10.0.1.6')))
      .resolvesOnce(targets(stillChecking, registering('10.0.1.6')))
      .resolvesOnce(targets(healthy('10.0.1.8'), stillChecking))
      .resolves(targets(healthy('10.0.1.8'), healthy('10.0.1.6')))

    await requireHealthyTargets(client, GREEN, 2, log, undefined, { clock, timeoutMs: 60_000 })

    expect(elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 4)
    expect(clock.now() - start).toBe(3_000)
    expect(lines[0]).toBe(
      'Target group web-green: 0 healthy target(s) (others: initial Elb.RegistrationInProgress); waiting for healthy targets (0s of 1m)'
    )
    expect(lines.at(-1)).toBe('Target group web-green: 2 healthy target(s)')
  })

  it('waits for enough targets, not only for the ones registered so far', async () => {
    const clock = new FakeClock()
    elb
      .on(DescribeTargetHealthCommand)
      .resolvesOnce(targets(healthy('10.0.1.5')))
      .resolves(targets(healthy('10.0.1.5'), healthy('10.0.1.6')))

    await requireHealthyTargets(client, GREEN, 2, log, undefined, { clock, timeoutMs: 60_000 })

    expect(elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 2)
  })

  it('slows down to every 5 s after 10 s, and fails only at the timeout, with states and reason codes', async () => {
    const clock = new FakeClock()
    const start = clock.now()
    elb.on(DescribeTargetHealthCommand).resolves(targets(healthy('10.0.1.5'), failingChecks))

    const check = requireHealthyTargets(client, GREEN, 1, log, undefined, {
      clock,
      timeoutMs: 30_000
    })

    await expect(check).rejects.toThrow(
      "Target group 'web-green' is not ready for traffic: 1 of 2 targets are not healthy:\n" +
        '  10.0.1.7:8080 unhealthy Target.ResponseCodeMismatch (Health checks failed with these codes: [502])\n' +
        "Waited 30s ('service-timeout'); if the targets only need longer, raise it."
    )
    expect(clock.now() - start).toBe(30_000)
    // 1 s apart for the first 10 s (11 reads), then 5 s apart up to 30 s (4 more).
    expect(elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 15)
    // One line for the state, not one per poll.
    expect(lines).toHaveLength(1)
  })

  it('stops waiting when cancelled', async () => {
    const clock = new FakeClock()
    const controller = new AbortController()
    clock.onSleep = () => controller.abort()
    elb.on(DescribeTargetHealthCommand).resolves(targets(stillChecking))

    await expect(
      requireHealthyTargets(client, GREEN, 1, log, undefined, {
        clock,
        timeoutMs: 60_000,
        signal: controller.signal
      })
    ).rejects.toThrow("Cancelled while waiting for target group 'web-green' to turn healthy")
  })
})

describe('requireHealthyTargets when ELB cannot be read', () => {
  it('names DescribeTargetHealth and the target group', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))
    await expect(requireHealthyTargets(client, GREEN, 1, log)).rejects.toThrow(
      'DescribeTargetHealth failed for target group web-green: Throttling: Rate exceeded'
    )
  })
})

describe('targetGroupName', () => {
  it('reads the name out of a target group ARN', () => {
    expect(targetGroupName(GREEN)).toBe('web-green')
  })
})
