/**
 * Builds the SDK clients. Region comes from the settings; endpoints follow the SDK's standard
 * `AWS_ENDPOINT_URL*` variables (which is how the tests reach a local emulator); credentials come
 * from the usual chain.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling'
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { ECSClient } from '@aws-sdk/client-ecs'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { clientConfig } from './config.js'

export { USER_AGENT } from './config.js'

/** The three clients the action uses. */
export interface Clients {
  readonly ecs: ECSClient
  readonly elb: ElasticLoadBalancingV2Client
  readonly cloudwatch: CloudWatchClient
  /** The pair's scalable targets (scale-in suspended while traffic moves). */
  readonly autoscaling: ApplicationAutoScalingClient
}

/** The three clients, configured alike (see `clientConfig`). */
export function makeClients(region: string): Clients {
  const config = clientConfig(region)
  return {
    ecs: new ECSClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
    autoscaling: new ApplicationAutoScalingClient(config)
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
