// Issue 23: an `initial` target (still registering, or in its first health checks) is not a
// failure before traffic nor for the watchdog judging a paused canary: not ready yet.
import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import 'aws-sdk-client-mock-jest'
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client
} from '@aws-sdk/client-elastic-load-balancing-v2'
import type {
  TargetHealthDescription,
  TargetHealthReasonEnum,
  TargetHealthStateEnum
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { requireHealthyTargets, TargetsStarting } from '../../src/aws/elb/health.js'
import type { Log } from '../../src/engine/types.js'
import { FakeClock } from './fakes.js'

const elb = mockClient(ElasticLoadBalancingV2Client)
const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' })
const GREEN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/0a1b2c3d'
const log: Log = { info: () => {}, warn: () => {}, debug: () => {} }

const target = (
  id: string,
  State: TargetHealthStateEnum,
  Reason?: TargetHealthReasonEnum
): TargetHealthDescription => ({
  Target: { Id: id, Port: 8080 },
  TargetHealth: { State, ...(Reason ? { Reason } : {}) }
})
const answer = (...list: TargetHealthDescription[]) => ({
  TargetHealthDescriptions: list,
  $metadata: {}
})

beforeEach(() => {
  elb.reset()
})

describe('requireHealthyTargets and initial targets', () => {
  it('passes enough healthy targets beside a replacement still initial, in one read', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .resolves(
        answer(
          target('10.0.1.5', 'healthy'),
          target('10.0.1.6', 'initial', 'Elb.InitialHealthChecking')
        )
      )
    await requireHealthyTargets(client, GREEN, 1, log, 'one task', {
      clock: new FakeClock(),
      timeoutMs: 60_000
    })
    expect(elb).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1)
  })

  it('says "not ready yet" (TargetsStarting) when only initial targets are short, without a wait', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .resolves(
        answer(
          target('10.0.1.6', 'initial', 'Elb.RegistrationInProgress'),
          target('10.0.1.5', 'draining', 'Target.DeregistrationInProgress')
        )
      )
    const error = await requireHealthyTargets(client, GREEN, 1, log).then(
      () => new Error('no error'),
      (e: unknown) => e as Error
    )
    expect(error).toBeInstanceOf(TargetsStarting)
    expect(error.message).toContain('10.0.1.6:8080 initial Elb.RegistrationInProgress')
  })

  it('still fails an unhealthy target beside an initial one', async () => {
    elb
      .on(DescribeTargetHealthCommand)
      .resolves(
        answer(
          target('10.0.1.5', 'unhealthy', 'Target.FailedHealthChecks'),
          target('10.0.1.6', 'initial', 'Elb.InitialHealthChecking')
        )
      )
    const error = await requireHealthyTargets(client, GREEN, 1, log).then(
      () => new Error('no error'),
      (e: unknown) => e as Error
    )
    expect(error).toBeInstanceOf(Error)
    expect(error).not.toBeInstanceOf(TargetsStarting)
    expect(error.message).toContain('10.0.1.5:8080 unhealthy Target.FailedHealthChecks')
  })
})
