// Edges of the action rewriting the mutation run (issue 17) found untested.
import { describe, expect, it } from '@jest/globals'
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import { forwardTargets, writable } from '../../src/aws/elb/actions.js'

describe('writable', () => {
  it('asks ELB to keep its OIDC secret and never sends one back, even when a read carried it', () => {
    const oidc = (secret?: string): Action => ({
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp.example',
        AuthorizationEndpoint: 'https://idp.example/auth',
        TokenEndpoint: 'https://idp.example/token',
        UserInfoEndpoint: 'https://idp.example/user',
        ClientId: 'web',
        ...(secret === undefined ? {} : { ClientSecret: secret })
      }
    })
    expect(writable([oidc()])[0].AuthenticateOidcConfig?.UseExistingClientSecret).toBe(true)
    const withSecret = writable([oidc('s3cret')])[0].AuthenticateOidcConfig
    expect(withSecret?.UseExistingClientSecret).toBe(true)
    expect(withSecret).not.toHaveProperty('ClientSecret')
  })

  it('copies a forward whose config lists no groups as read', () => {
    const actions: Action[] = [{ Type: 'forward', TargetGroupArn: 'tg-a', ForwardConfig: {} }]
    expect(writable(actions)).toEqual(actions)
  })
})

describe('forwardTargets', () => {
  it('reads a group without an ARN as an empty name, never as another group', () => {
    const actions: Action[] = [
      { Type: 'forward', ForwardConfig: { TargetGroups: [{ Weight: 3 }] } }
    ]
    expect(forwardTargets(actions).targets).toEqual([{ arn: '', weight: 3 }])
  })

  it('reads a forward that names no group at all as no targets', () => {
    expect(forwardTargets([{ Type: 'forward' }])).toEqual({ forwardActions: 1, targets: [] })
  })
})
