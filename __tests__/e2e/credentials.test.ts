import { describe, expect, it } from '@jest/globals'
import { provisionStack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights, reportFileTiming } from './support/rollout-helpers.js'
import { runAction, runPost, startAction } from './support/runner.js'

const e2e = useE2e()
reportFileTiming('credentials.test.ts')

/**
 * The session the stand-in's STS issues: 5 s beyond the SDK's refresh window (credentials
 * within 5 minutes of expiry count as expired, smithy's EXPIRATION_MS), so they are due for a
 * refresh 5 s after each AssumeRoleWithWebIdentity.
 */
const SHORT_SESSION_S = 305

/**
 * Bounds, not budgets: a refresh is due 5 s after each AssumeRoleWithWebIdentity, so on a loaded
 * machine, where STS answers take longer than that, every call refreshes first and the ~20 s
 * rollout takes minutes (issue 28: it was cut off at 311 s). The runner's kill and jest's limit
 * are set for that, well apart.
 */
const REFRESHING_RUN_MS = 420_000

describe('role-to-assume', () => {
  it(
    'assumes the role with the runner OIDC token, refreshes the credentials mid-rollout, and promotes',
    async () => {
      const s = await provisionStack()
      // moto honours DurationSeconds (moto/sts/responses.py); the unsigned call is rewritten to a
      // short session, as a role whose maximum session is short would give.
      e2e.proxy.rewriteRequests((request, body) => {
        if (request.operation !== 'AssumeRoleWithWebIdentity') return body
        const params = new URLSearchParams(body.toString('utf8'))
        params.set('DurationSeconds', String(SHORT_SESSION_S))
        return Buffer.from(params.toString())
      })
      try {
        const result = await runAction(e2e.context(s), {
          timeoutMs: REFRESHING_RUN_MS,
          inputs: deployInputs(s, {
            stages: '1:3s,2:3s,5:3s,10:3s,50:3s,100:3s',
            'role-to-assume': `arn:aws:iam::${s.account.accountId}:role/ecs-canary-deployer`
          }),
          env: {
            ACTIONS_ID_TOKEN_REQUEST_URL: e2e.github.oidcUrl,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'e2e-oidc-request-token',
            // Keys of no account: only the role's credentials reach the stack's account.
            AWS_ACCESS_KEY_ID: 'AKIAE2ENOACCOUNT0000',
            AWS_SECRET_ACCESS_KEY: 'not-a-secret',
            AWS_SESSION_TOKEN: ''
          }
        })

        expect(result.code).toBe(0)
        expect(result.outputs.result).toBe('promoted')
        expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 0, green: 100 })
        const assumed = e2e.proxy.counts().AssumeRoleWithWebIdentity ?? 0
        // One at the start and at least one refresh during the ~20 s of stages.
        expect(assumed).toBeGreaterThanOrEqual(2)
        // A fresh OIDC token per refresh, all for STS.
        expect(e2e.github.oidcRequests().length).toBe(assumed)
        expect(new Set(e2e.github.oidcRequests())).toEqual(new Set(['sts.amazonaws.com']))
        // No credential refresh line leaked a token.
        expect(result.stdout).not.toContain('e2e-oidc-request-token')
      } finally {
        e2e.proxy.rewriteRequests(undefined)
      }
    },
    REFRESHING_RUN_MS + 60_000
  )
})

describe('role-to-assume and the post step', () => {
  it('gets the post step its own credentials the same way, so it can restore', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    const deploy = startAction(context, {
      inputs: deployInputs(s, {
        stages: '1:1s,2:30s,100:1s',
        'role-to-assume': `arn:aws:iam::${s.account.accountId}:role/ecs-canary-deployer`
      }),
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: e2e.github.oidcUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'e2e-oidc-request-token',
        AWS_ACCESS_KEY_ID: 'AKIAE2ENOACCOUNT0000',
        AWS_SECRET_ACCESS_KEY: 'not-a-secret',
        AWS_SESSION_TOKEN: ''
      }
    })
    await deploy.waitForOutput(/^Stage 2\/3/)
    deploy.kill('SIGKILL')
    const main = await deploy.done
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 98, green: 2 })
    const tokensBefore = e2e.github.oidcRequests().length

    const post = await runPost(context, main)

    expect(post.code).toBe(0)
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(e2e.github.oidcRequests().length).toBeGreaterThan(tokensBefore)
  })
})

describe('without role-to-assume', () => {
  it('warns when temporary credentials of unknown expiry may not last a plan over one hour', async () => {
    const s = await provisionStack()
    // The test account's credentials carry a session token and no expiry, as
    // configure-aws-credentials leaves them.
    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '1:50m,100:20m', 'dry-run': true })
    })

    expect(result.code).toBe(0)
    expect(result.commands).toContainEqual(
      expect.objectContaining({
        command: 'warning',
        message: expect.stringMatching(/plan can take 1h10m.*one hour by default.*role-to-assume/)
      })
    )
    expect(e2e.proxy.writes()).toBe(0)
  })

  it('refuses a promote whose remaining plan outlasts a known expiry, before any write', async () => {
    const s = await provisionStack()
    const paused = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '1:1s,5:pause,100:1s' })
    })
    expect(paused.outputs.result).toBe('paused')
    e2e.proxy.reset()

    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { mode: 'promote', stages: '50:40m,100:1s' }),
      env: { AWS_CREDENTIAL_EXPIRATION: new Date(Date.now() + 20 * 60_000).toISOString() }
    })

    expect(result.code).toBe(1)
    expect(result.outputs.reason).toMatch(/plan can take 40m1s, but the AWS credentials expire/)
    expect(e2e.proxy.writes()).toBe(0)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 95, green: 5 })
  })
})
