/**
 * Credentials the action gets for itself with `role-to-assume`: the runner's OIDC token traded
 * for role credentials (AssumeRoleWithWebIdentity), refreshed before they expire, so a plan of
 * hours never runs on expired credentials. One provider is shared by every client.
 */
import { fromWebToken } from '@aws-sdk/credential-provider-web-identity'
import {
  doesIdentityRequireRefresh,
  isIdentityExpired,
  memoizeIdentityProvider
} from '@smithy/core'
import { Input } from '../names.js'

/** What the SDK clients take as `credentials`. */
export type CredentialProvider = ReturnType<typeof fromWebToken>
type Identity = Awaited<ReturnType<CredentialProvider>>

/** The audience AWS expects in a GitHub OIDC token (as configure-aws-credentials asks for). */
export const STS_AUDIENCE = 'sts.amazonaws.com'

/** Fetches a fresh OIDC token from the runner (`core.getIDToken` in the action). */
export type IdTokenSource = (audience: string) => Promise<string>

/**
 * A provider that, each time the SDK finds the credentials near their expiry (within 5 minutes,
 * smithy's `isIdentityExpired`), asks the runner for a new OIDC token and assumes the role
 * again. A token is fetched per refresh: GitHub's ID tokens are short-lived, so the one from the
 * start of a six-hour plan cannot be used at its end.
 */
export function webIdentityCredentials(
  roleArn: string,
  region: string,
  idToken: IdTokenSource,
  env: NodeJS.ProcessEnv = process.env,
  audience: string = STS_AUDIENCE
): CredentialProvider {
  const sessionName = `ecs-canary-${env.GITHUB_RUN_ID || 'local'}-${env.GITHUB_RUN_ATTEMPT || '1'}`
  const assume = async (): Promise<Identity> => {
    let token: string
    try {
      token = await idToken(audience)
    } catch (error) {
      throw new Error(
        `${Input.roleToAssume}: could not get the runner's OIDC token (${error instanceof Error ? error.message : String(error)}); give the job 'permissions: id-token: write'`,
        { cause: error }
      )
    }
    try {
      // No DurationSeconds: STS's default (one hour) fits every role's maximum session, and
      // the refresh makes the length of a plan irrelevant.
      return await fromWebToken({
        roleArn,
        webIdentityToken: token,
        roleSessionName: sessionName.slice(0, 64),
        clientConfig: { region }
      })()
    } catch (error) {
      throw new Error(
        `${Input.roleToAssume}: AssumeRoleWithWebIdentity for '${roleArn}' failed: ${error instanceof Error ? error.message : String(error)}. Check the role's trust policy allows this repository's OIDC token`,
        { cause: error }
      )
    }
  }
  // The SDK's own memoizer: one refresh at a time, shared by every client given this provider.
  return memoizeIdentityProvider(
    assume,
    isIdentityExpired,
    doesIdentityRequireRefresh
  ) as CredentialProvider
}

/** Whether the runner can hand out OIDC tokens at all (the job has `id-token: write`). */
export function canGetIdToken(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
}
