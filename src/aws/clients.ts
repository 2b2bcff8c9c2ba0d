/**
 * Builds the SDK clients. Region comes from the settings; endpoints follow the SDK's standard
 * `AWS_ENDPOINT_URL*` variables (which is how the tests reach a local emulator); credentials come
 * from the usual chain, or from one shared `role-to-assume` provider.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling'
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { ECSClient } from '@aws-sdk/client-ecs'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { clientConfig } from './config.js'
import type { CredentialProvider } from './credentials.js'
import { throttlingOnlyRetries } from './ecs/register.js'

export { USER_AGENT } from './config.js'

/** The clients the action uses. */
export interface Clients {
  readonly ecs: ECSClient
  readonly elb: ElasticLoadBalancingV2Client
  readonly cloudwatch: CloudWatchClient
  /** The pair's scalable targets (scale-in suspended while traffic moves). */
  readonly autoscaling: ApplicationAutoScalingClient
  /**
   * ECS for RegisterTaskDefinition only: its SDK retries throttling and nothing else, since a
   * retried timeout can register a duplicate revision (see `registerOnce`).
   */
  readonly ecsRegister: ECSClient
}

/**
 * The clients, configured alike (see `clientConfig`). `credentials`, when given, is one
 * provider for all of them, so a refresh is made once and seen by every client.
 */
export function makeClients(region: string, credentials?: CredentialProvider): Clients {
  const config = { ...clientConfig(region), ...(credentials ? { credentials } : {}) }
  return {
    ecs: new ECSClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
    autoscaling: new ApplicationAutoScalingClient(config),
    ecsRegister: new ECSClient({
      ...config,
      retryStrategy: throttlingOnlyRetries(config.maxAttempts)
    })
  }
}

/** What is known about the credentials in use, for the pre-flight's expiry check. */
export interface CredentialFacts {
  /** When they expire, if the provider says (STS credentials, `AWS_CREDENTIAL_EXPIRATION`). */
  readonly expiry?: Date
  /** Temporary credentials (a session token) whose expiry nobody told us. */
  readonly temporary: boolean
}

/** Reads the credentials once (no AWS call for environment credentials) to learn their expiry. */
export async function credentialFacts(client: ECSClient): Promise<CredentialFacts> {
  try {
    const credentials = await client.config.credentials()
    return {
      ...(credentials.expiration ? { expiry: credentials.expiration } : {}),
      temporary: Boolean(credentials.sessionToken)
    }
  } catch {
    return { temporary: false }
  }
}
