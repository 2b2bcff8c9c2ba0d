import { describe, expect, it } from '@jest/globals'
import { webIdentityCredentials } from '../../src/aws/credentials.js'
import { readSettings } from '../../src/inputs/inputs.js'

const RULE =
  'arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee'

function settings(inputs: Record<string, string>) {
  const all: Record<string, string> = {
    cluster: 'c',
    services: 'web-blue web-green',
    'listener-rules': RULE,
    ...inputs
  }
  return readSettings(name => all[name] ?? '', { AWS_REGION: 'cn-north-1' })
}

describe('audience', () => {
  it('is sts.amazonaws.com.cn for a role ARN in aws-cn', () => {
    const role = 'arn:aws-cn:iam::123456789012:role/deploy'
    expect(settings({ 'role-to-assume': role })).toMatchObject({
      roleToAssume: role,
      audience: 'sts.amazonaws.com.cn'
    })
  })

  it('is sts.amazonaws.com for a role in aws (and aws-us-gov), and the input wins', () => {
    expect(settings({ 'role-to-assume': 'arn:aws:iam::123456789012:role/d' }).audience).toBe(
      'sts.amazonaws.com'
    )
    expect(settings({ 'role-to-assume': 'arn:aws-us-gov:iam::123456789012:role/d' }).audience).toBe(
      'sts.amazonaws.com'
    )
    expect(
      settings({
        'role-to-assume': 'arn:aws-cn:iam::123456789012:role/d',
        audience: 'sts.example.internal'
      }).audience
    ).toBe('sts.example.internal')
  })

  it('is not set without role-to-assume', () => {
    expect(settings({}).audience).toBeUndefined()
  })

  it('is the audience the runner is asked for', async () => {
    const asked: string[] = []
    const provider = webIdentityCredentials(
      'arn:aws-cn:iam::123456789012:role/deploy',
      'cn-north-1',
      async audience => {
        asked.push(audience)
        throw new Error('no token here')
      },
      {},
      'sts.amazonaws.com.cn'
    )
    await expect(provider()).rejects.toThrow(/no token here/)
    expect(asked).toEqual(['sts.amazonaws.com.cn'])
  })
})
