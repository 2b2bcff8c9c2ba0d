import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { EC2Client } from '@aws-sdk/client-ec2'
import { ECSClient } from '@aws-sdk/client-ecs'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { REGION } from './accounts.js'
import type { TestAccount } from './accounts.js'
import { motoUrl } from './moto-url.js'

/** SDK clients for one test account, talking to moto directly (never through the proxy). */
export interface TestAws {
  account: TestAccount
  ec2: EC2Client
  elbv2: ElasticLoadBalancingV2Client
  ecs: ECSClient
  cloudwatch: CloudWatchClient
  destroy(): void
}

/**
 * Test-side clients go straight to moto so that the fault proxy sees, counts and breaks only
 * the action's own calls. `endpoint` defaults to moto; pass the proxy URL to exercise it.
 */
export function testAws(account: TestAccount, endpoint = motoUrl()): TestAws {
  const config = { region: REGION, endpoint, credentials: account.credentials }
  const clients = {
    ec2: new EC2Client(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    ecs: new ECSClient(config),
    cloudwatch: new CloudWatchClient(config)
  }
  return {
    account,
    ...clients,
    destroy: () => Object.values(clients).forEach(client => client.destroy())
  }
}
