import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand
} from '@aws-sdk/client-ec2'
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  RegisterTargetsCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { TestAws } from './clients.js'

/** The network a stack lives in. */
export interface Network {
  vpcId: string
  subnetIds: string[]
  securityGroupId: string
}

/** A VPC with two subnets in two zones (an ALB needs two) and a security group. */
export async function createNetwork(aws: TestAws): Promise<Network> {
  const { Vpc } = await aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))
  const vpcId = Vpc!.VpcId!
  const subnetIds: string[] = []
  for (const [i, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
    const { Subnet } = await aws.ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: `10.0.${i + 1}.0/24`,
        AvailabilityZone: zone
      })
    )
    subnetIds.push(Subnet!.SubnetId!)
  }
  const { GroupId } = await aws.ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web tasks', VpcId: vpcId })
  )
  return { vpcId, subnetIds, securityGroupId: GroupId! }
}

/** An internet-facing application load balancer; returns its ARN. */
export async function createLoadBalancer(aws: TestAws, network: Network): Promise<string> {
  const { LoadBalancers } = await aws.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: 'web-alb',
      Subnets: network.subnetIds,
      SecurityGroups: [network.securityGroupId],
      Scheme: 'internet-facing',
      Type: 'application'
    })
  )
  return LoadBalancers![0].LoadBalancerArn!
}

/**
 * An `ip` target group with health checks on /health and `targets` registered IPs in the
 * second octet `octet` (moto reports every registered ip target healthy).
 */
export async function createTargetGroup(
  aws: TestAws,
  vpcId: string,
  name: string,
  octet: number,
  targets: number
): Promise<{ arn: string; name: string; targetIps: string[] }> {
  const { TargetGroups } = await aws.elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: vpcId,
      TargetType: 'ip',
      HealthCheckPath: '/health'
    })
  )
  const arn = TargetGroups![0].TargetGroupArn!
  const targetIps = Array.from({ length: targets }, (_, i) => `10.0.${octet}.${10 + i}`)
  if (targetIps.length > 0) {
    await aws.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: arn,
        Targets: targetIps.map(Id => ({ Id, Port: 8080 }))
      })
    )
  }
  return { arn, name, targetIps }
}

/** A weighted forward action; stickiness only when given, as a user's rule would have it. */
export function forward(
  weights: Record<string, number>,
  stickiness?: { Enabled: boolean; DurationSeconds?: number },
  order?: number
): Action {
  return {
    Type: 'forward',
    ...(order === undefined ? {} : { Order: order }),
    ForwardConfig: {
      TargetGroups: Object.entries(weights).map(([TargetGroupArn, Weight]) => ({
        TargetGroupArn,
        Weight
      })),
      ...(stickiness ? { TargetGroupStickinessConfig: stickiness } : {})
    }
  }
}

/** An authenticate-oidc action as a user would put ahead of the forward. */
export function authenticateOidc(order: number): Action {
  return {
    Type: 'authenticate-oidc',
    Order: order,
    AuthenticateOidcConfig: {
      Issuer: 'https://idp.example.test',
      AuthorizationEndpoint: 'https://idp.example.test/authorize',
      TokenEndpoint: 'https://idp.example.test/token',
      UserInfoEndpoint: 'https://idp.example.test/userinfo',
      ClientId: 'web',
      ClientSecret: 'e2e-client-secret',
      OnUnauthenticatedRequest: 'authenticate',
      Scope: 'openid',
      SessionCookieName: 'AWSELBAuthSessionCookie',
      SessionTimeout: 604800
    }
  }
}

/** An HTTP:80 listener whose default action is `defaultActions`; returns its ARN. */
export async function createListener(
  aws: TestAws,
  loadBalancerArn: string,
  defaultActions: Action[]
): Promise<string> {
  const { Listeners } = await aws.elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: defaultActions
    })
  )
  return Listeners![0].ListenerArn!
}

/** A path-pattern rule on the listener; returns its ARN. */
export async function createPathRule(
  aws: TestAws,
  listenerArn: string,
  priority: number,
  path: string,
  actions: Action[]
): Promise<string> {
  const { Rules } = await aws.elbv2.send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: priority,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [path] } }],
      Actions: actions
    })
  )
  return Rules![0].RuleArn!
}
