import { randomInt } from 'node:crypto'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import { motoUrl } from './moto-url.js'

export const REGION = 'us-east-1'

/** Static credentials, in the shape both the SDK and the runner's AWS_* variables want. */
export interface Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  expiration?: Date
}

/** A fresh, empty AWS account inside the shared moto server. */
export interface TestAccount {
  accountId: string
  credentials: Credentials
}

/**
 * Creates a new account by assuming a role in it. moto's STS accepts any role ARN, mints
 * temporary keys that its IAM backend maps to the ARN's account, and from then on every
 * request signed with those keys reads and writes that account's backends only. This is the
 * isolation the suite relies on; it also mirrors how the action gets credentials in real use
 * (configure-aws-credentials assuming a role).
 */
export async function newAccount(): Promise<TestAccount> {
  const accountId = String(randomInt(100_000_000_000, 999_999_999_999))
  const sts = new STSClient({
    region: REGION,
    endpoint: motoUrl(),
    credentials: { accessKeyId: 'AKIAE2EBOOTSTRAP', secretAccessKey: 'bootstrap' }
  })
  try {
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/ecs-canary-e2e`,
        RoleSessionName: 'ecs-canary-e2e'
      })
    )
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('moto returned no credentials')
    return {
      accountId,
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration
      }
    }
  } finally {
    sts.destroy()
  }
}
