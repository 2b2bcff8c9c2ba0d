/**
 * Builds the SDK clients. Region comes from the settings; endpoints follow the SDK's standard
 * `AWS_ENDPOINT_URL*` variables (which is how the tests reach a local emulator); credentials come
 * from the usual chain.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { ECSClient } from '@aws-sdk/client-ecs'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'

/** The product's user agent, so AWS-side logs (CloudTrail) show who moved the weights. */
export const USER_AGENT: [string, string] = ['ecs-canary', '0.1.0']

/** The three clients the action uses. */
export interface Clients {
  readonly ecs: ECSClient
  readonly elb: ElasticLoadBalancingV2Client
  readonly cloudwatch: CloudWatchClient
}

/**
 * Standard retries (jittered backoff on throttling and 5xx); 4 attempts ride out a burst. Not
 * `adaptive`: its client-side rate limiter would delay a rollback write after a throttle.
 */
export function makeClients(region: string): Clients {
  const config = {
    region,
    maxAttempts: 4,
    retryMode: 'standard',
    customUserAgent: [USER_AGENT],
    // A stalled connection must not eat a rollback's budget (6 s under a cancel): give up on
    // it and let the retry go out on a fresh one. Without throwOnRequestTimeout the SDK only
    // logs a warning when requestTimeout passes, and a stalled call hangs for good.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000, throwOnRequestTimeout: true }
  }
  return {
    ecs: new ECSClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config)
  }
}

/** When the credentials in use expire, if the provider says (STS session credentials do). */
export async function credentialExpiry(client: ECSClient): Promise<Date | undefined> {
  try {
    const credentials = await client.config.credentials()
    return credentials.expiration
  } catch {
    return undefined
  }
}
