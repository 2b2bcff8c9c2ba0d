import { describe, it, expect } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import {
  ActionsError,
  forwardTargets,
  hasWeights,
  isAllOnLive,
  shellQuote,
  withWeights,
  writable
} from '../../src/aws/elb/actions.js'
import type { GroupPair } from '../../src/engine/types.js'

const groups: GroupPair = { live: 'tg-blue', idle: 'tg-green' }

const cognito = {
  Type: 'authenticate-cognito',
  Order: 1,
  AuthenticateCognitoConfig: {
    UserPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc',
    UserPoolClientId: 'client',
    UserPoolDomain: 'auth'
  }
} satisfies Action

const plainForward = { Type: 'forward', Order: 2, TargetGroupArn: 'tg-blue' } satisfies Action

describe('forwardTargets', () => {
  it('counts a plain forward as its group at weight 1', () => {
    expect(forwardTargets([cognito, plainForward])).toEqual({
      forwardActions: 1,
      targets: [{ arn: 'tg-blue', weight: 1 }]
    })
  })

  it('counts a target group without Weight as weight 1, as ELB does', () => {
    const forward = {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [{ TargetGroupArn: 'tg-green' }, { TargetGroupArn: 'tg-blue', Weight: 3 }]
      }
    } satisfies Action

    expect(forwardTargets([forward]).targets).toEqual([
      { arn: 'tg-green', weight: 1 },
      { arn: 'tg-blue', weight: 3 }
    ])
  })

  it('counts every forward action', () => {
    expect(forwardTargets([plainForward, plainForward]).forwardActions).toBe(2)
    expect(forwardTargets([cognito])).toEqual({ forwardActions: 0, targets: [] })
  })
})

describe('withWeights', () => {
  it('appends the missing group to a plain forward and drops the top-level TargetGroupArn', () => {
    expect(withWeights([cognito, plainForward], groups, { live: 99, idle: 1 }, 'rule')).toEqual([
      cognito,
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: 'tg-blue', Weight: 99 },
            { TargetGroupArn: 'tg-green', Weight: 1 }
          ]
        }
      }
    ])
  })

  it('leaves the list it was given untouched', () => {
    const actions = [cognito, plainForward]
    const before = structuredClone(actions)

    withWeights(actions, groups, { live: 0, idle: 100 }, 'rule')

    expect(actions).toEqual(before)
  })

  it('refuses a rule with two forward actions', () => {
    expect(() =>
      withWeights([plainForward, plainForward], groups, { live: 1, idle: 1 }, 'rule r')
    ).toThrow(
      new ActionsError(
        'rule r has 2 forward actions; ecs-canary needs exactly one forward to the two target groups of the pair'
      )
    )
  })

  it('refuses a forward to a group outside the pair', () => {
    const stranger = { Type: 'forward', TargetGroupArn: 'tg-legacy' } satisfies Action

    expect(() => withWeights([stranger], groups, { live: 1, idle: 1 }, 'rule r')).toThrow(
      /rule r forwards to target group tg-legacy/
    )
  })
})

describe('writable', () => {
  it('asks ELB to keep the OIDC client secret it was never shown, and touches nothing else', () => {
    const oidc = {
      Type: 'authenticate-oidc',
      AuthenticateOidcConfig: {
        Issuer: 'https://idp',
        AuthorizationEndpoint: 'https://idp/a',
        TokenEndpoint: 'https://idp/t',
        UserInfoEndpoint: 'https://idp/u',
        ClientId: 'c'
      }
    } satisfies Action

    const [oidcOut, cognitoOut] = writable([oidc, cognito])

    expect(oidcOut.AuthenticateOidcConfig?.UseExistingClientSecret).toBe(true)
    expect(oidc.AuthenticateOidcConfig).not.toHaveProperty('UseExistingClientSecret')
    expect(cognitoOut).toEqual(cognito)
  })

  it('keeps TargetGroupArn next to a one-group ForwardConfig, as ELB describes it', () => {
    const described = {
      Type: 'forward',
      TargetGroupArn: 'tg-blue',
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'tg-blue', Weight: 1 }] }
    } satisfies Action

    expect(writable([described])).toEqual([described])
  })
})

describe('hasWeights and isAllOnLive', () => {
  const at = (live: number, idle: number) => [
    { arn: 'tg-blue', weight: live },
    { arn: 'tg-green', weight: idle }
  ]

  it('matches exact weights only', () => {
    expect(hasWeights(at(95, 5), groups, { live: 95, idle: 5 })).toBe(true)
    expect(hasWeights(at(19, 1), groups, { live: 95, idle: 5 })).toBe(false)
    expect(hasWeights([{ arn: 'tg-blue', weight: 100 }], groups, { live: 100, idle: 0 })).toBe(true)
  })

  it('sees all traffic on live whatever the live weight, and none when idle has any', () => {
    expect(isAllOnLive(at(1, 0), groups)).toBe(true)
    expect(isAllOnLive([{ arn: 'tg-blue', weight: 1 }], groups)).toBe(true)
    expect(isAllOnLive(at(999, 1), groups)).toBe(false)
    expect(isAllOnLive(at(0, 0), groups)).toBe(false)
  })
})

describe('shellQuote', () => {
  it('survives a POSIX shell unchanged, single quotes included', () => {
    const json = `[{"Type":"fixed-response","MessageBody":"it's $HOME \`x\` \\"ok\\""}]`

    const echoed = execFileSync('sh', ['-c', `printf %s ${shellQuote(json)}`], { encoding: 'utf8' })

    expect(echoed).toBe(json)
  })

  it('leaves an ARN bare', () => {
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/2'
    expect(shellQuote(arn)).toBe(arn)
  })
})
