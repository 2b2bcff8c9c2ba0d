import { describe, expect, it } from '@jest/globals'
import { credentialsHint } from '../../src/aws/no-credentials.js'
import { forwardTargets } from '../../src/aws/elb/actions.js'
import { checkFacts, type Facts, type ServiceFacts } from '../../src/engine/preflight.js'
import type { RuleView } from '../../src/engine/types.js'
import { rollbackTo, runWith, suggestedRuns } from '../../src/engine/wayout.js'

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012'
const LISTENER = `${ELB}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`
const RULE = `${LISTENER.replace(':listener/', ':listener-rule/')}/9683b2d02a6cabee`
const BLUE_TG = `${ELB}:targetgroup/web-blue/73e2d6bc24d8a067`
const GREEN_TG = `${ELB}:targetgroup/web-green/943f017f100becff`

function service(name: string, tg: string): ServiceFacts {
  return {
    name,
    status: 'ACTIVE',
    controller: 'ECS',
    strategy: 'ROLLING',
    targetGroups: [tg],
    desiredCount: 2,
    taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
    family: 'web'
  }
}

function facts(...rules: RuleView[]): Facts {
  return {
    services: [service('web-blue', BLUE_TG), service('web-green', GREEN_TG)],
    rules,
    alarmNames: [],
    alarms: []
  }
}

/** A rule view as the traffic adapter builds it from an action list read from ELB. */
function view(actions: Parameters<typeof forwardTargets>[0], kind: RuleView['kind'] = 'rule') {
  return { arn: kind === 'rule' ? RULE : LISTENER, kind, tags: {}, ...forwardTargets(actions) }
}

describe('runWith and suggestedRuns', () => {
  it('writes the inputs of the next run so that they can be read back', () => {
    const text = `split; ${rollbackTo(['web-blue', 'web-green'])}`
    expect(text).toContain('run with `mode: rollback` and `to: web-blue` to put all traffic on')
    expect(suggestedRuns(text)).toEqual([
      { mode: 'rollback', to: 'web-blue' },
      { mode: 'rollback', to: 'web-green' }
    ])
    expect(suggestedRuns(runWith({ mode: 'deploy', 'allow-redeploy': 'true', x: 'y' }))).toEqual([
      { mode: 'deploy', 'allow-redeploy': 'true', x: 'y' }
    ])
    expect(suggestedRuns('no way out here')).toEqual([])
  })
})

describe('checkFacts, and the way out it names', () => {
  it('accepts a plain forward to one group (no ForwardConfig) as all traffic on that service', () => {
    const plain = view([{ Type: 'forward', TargetGroupArn: BLUE_TG }])
    expect(checkFacts(facts(plain))).toMatchObject({
      live: { name: 'web-blue' },
      idle: { name: 'web-green' },
      tenths: 0
    })
  })

  it('reads weights 1/1 (a forward listing both groups without weights) as a split, and says so', () => {
    const even = view([
      {
        Type: 'forward',
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE_TG }, { TargetGroupArn: GREEN_TG }] }
      }
    ])
    expect(() => checkFacts(facts(even))).toThrow(
      /50% \(weights 1\/1\).*Weights 1\/1 are what ELB sets.*run with `mode: rollback` and `to: web-blue`/
    )
  })

  it('points a listener whose default action is not a forward to the rule ARNs', () => {
    const fixed = view(
      [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      'listener'
    )
    expect(() => checkFacts(facts(fixed))).toThrow(
      `the default action of listener ${LISTENER} is not a forward; pass the ARN of the listener rule that forwards to the pair instead (list them with: aws elbv2 describe-rules --listener-arn ${LISTENER})`
    )
  })

  it('names a rollback for rules that disagree, and a lenient check takes the largest share', () => {
    const at = (blue: number, green: number, kind: RuleView['kind']) =>
      view(
        [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: BLUE_TG, Weight: blue },
                { TargetGroupArn: GREEN_TG, Weight: green }
              ]
            }
          }
        ],
        kind
      )
    const apart = facts(at(100, 0, 'listener'), at(50, 50, 'rule'))
    expect(() => checkFacts(apart, 'web-blue')).toThrow(
      /the rules disagree on web-green's share .*run with `mode: rollback` to put them back in step, all on web-blue/
    )
    expect(checkFacts(apart, 'web-blue', true).tenths).toBe(500)
  })
})

describe('credentialsHint', () => {
  it('turns the SDK error, even wrapped, into the step that provides credentials', () => {
    const sdk = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError'
    })
    const wrapped = new Error('DescribeRules failed for x', { cause: sdk })
    expect(credentialsHint(wrapped)).toMatch(
      /^no AWS credentials were found \(CredentialsProviderError\)\. Add a step with aws-actions\/configure-aws-credentials/
    )
    expect(credentialsHint(new Error('AccessDenied'))).toBeUndefined()
  })
})
