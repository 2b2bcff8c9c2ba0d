import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand
} from '@aws-sdk/client-iam'
import { REGION } from './accounts.js'
import type { TestAccount } from './accounts.js'
import { motoUrl } from './moto-url.js'
import { repoRoot } from './runner-env.js'

/** One statement of an IAM policy, as the README writes them. */
export interface Statement {
  Sid?: string
  Effect: 'Allow' | 'Deny'
  Action: string | string[]
  Resource: string | string[]
  Condition?: Record<string, unknown>
}

export interface PolicyDocument {
  Version: string
  Statement: Statement[]
}

/** Everything allowed, for the test's own clients once IAM is enforced. */
export const ADMIN_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }]
}

/**
 * The policy of the README's "IAM policy" section: the first ```json block after its heading.
 * The README is the source of truth; the test reads it so the two cannot drift.
 */
export function readmePolicy(): PolicyDocument {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## IAM policy'))
  const block = /```json\n([\s\S]*?)\n```/.exec(section)
  if (!block) throw new Error('README.md has no ```json block under "## IAM policy"')
  return JSON.parse(block[1]) as PolicyDocument
}

function list(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value]
}

/** Every action the policy allows, in the order written, without repeats. */
export function allowedActions(policy: PolicyDocument): string[] {
  const allowed = policy.Statement.filter(s => s.Effect === 'Allow').flatMap(s => list(s.Action))
  return [...new Set(allowed)]
}

/** The policy with one action taken out (a statement left with none is dropped). */
export function without(policy: PolicyDocument, action: string): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map(s => ({
      ...s,
      Action: list(s.Action).filter(a => a !== action)
    })).filter(s => s.Action.length > 0)
  }
}

/**
 * The policy as moto can evaluate it. Only what moto cannot evaluate is changed:
 * - `cloudwatch:` becomes `monitoring:`: moto names the action after the SigV4 signing name
 *   of the request (moto/iam/access_control.py, `IAMRequestBase.__init__`: the service of the
 *   credential scope), and CloudWatch signs as `monitoring`.
 * - Every Resource becomes `*`: moto checks ELBv2, ECS and CloudWatch calls against resource
 *   `*` (moto/core/responses.py `call_action`: only services with `_determine_resource`, which
 *   these three lack, pass anything else), so a scoped statement would never match.
 * - Conditions are dropped: moto evaluates them only with the values of an AssumeRole request
 *   (`_check_conditions`), so any other conditioned statement would deny outright. The two
 *   conditioned permissions (`ecs:TagResource`, `iam:PassRole`) are checked by the rewriter in
 *   iam-moto.ts, by action only.
 */
export function forMoto(policy: PolicyDocument): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map(({ Condition: _condition, ...s }) => ({
      ...s,
      Action: list(s.Action).map(a => a.replace(/^cloudwatch:/, 'monitoring:')),
      Resource: '*'
    }))
  }
}

/** Creates an IAM user in `account` with `policy` inline and returns it as an account to act as. */
export async function createUser(
  account: TestAccount,
  name: string,
  policy: PolicyDocument
): Promise<TestAccount> {
  const iam = new IAMClient({
    region: REGION,
    endpoint: motoUrl(),
    credentials: account.credentials
  })
  try {
    await iam.send(new CreateUserCommand({ UserName: name }))
    await iam.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: 'ecs-canary',
        PolicyDocument: JSON.stringify(policy)
      })
    )
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }))
    if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey) throw new Error('no access key')
    return {
      accountId: account.accountId,
      credentials: {
        accessKeyId: AccessKey.AccessKeyId,
        secretAccessKey: AccessKey.SecretAccessKey
      }
    }
  } finally {
    iam.destroy()
  }
}
