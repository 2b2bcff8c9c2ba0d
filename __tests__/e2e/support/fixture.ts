import type { DeploymentControllerType } from '@aws-sdk/client-ecs'
import { newAccount } from './accounts.js'
import type { TestAccount } from './accounts.js'
import { testAws } from './clients.js'
import type { TestAws } from './clients.js'
import { DEFAULT_ALARMS, createAlarms } from './fixture-alarms.js'
import type { AlarmSpec } from './fixture-alarms.js'
import {
  CLUSTER,
  CONTAINER,
  CONTAINER_PORT,
  FAMILY,
  createCluster,
  createService,
  registerWebTaskDefinition
} from './fixture-ecs.js'
import {
  authenticateOidc,
  createListener,
  createLoadBalancer,
  createNetwork,
  createPathRule,
  createTargetGroup,
  forward
} from './fixture-elb.js'
import type { Network } from './fixture-elb.js'

export { setAlarm } from './fixture-alarms.js'
export type { AlarmSpec } from './fixture-alarms.js'
export {
  readActions,
  readTags,
  readWeights,
  setWeights,
  writeActions,
  writeTags
} from './stack-helpers.js'
export type { RuleWeights } from './stack-helpers.js'

/** The two sides of the pair. Which one is live is an option, not a convention. */
export type Color = 'blue' | 'green'

/** Per-service overrides. */
export interface ServiceOptions {
  /** Default: 2 for the live service, 0 for the idle one. More than 2 never stabilises. */
  desiredCount?: number
  /** Default ECS. CODE_DEPLOY and EXTERNAL are what the action must refuse. */
  deploymentController?: DeploymentControllerType
  /** Default ROLLING, with the rest of a real deploymentConfiguration around it. */
  strategy?: 'ROLLING' | 'BLUE_GREEN' | 'absent'
}

/** What to vary in the stack. Every field is optional; the defaults are a settled blue. */
export interface StackOptions {
  /** An existing account to build in (default: a fresh one). */
  account?: TestAccount
  /** The service taking all traffic (default blue). */
  live?: Color
  /** Weights on the listener and every rule (default 100 on live, 0 on idle). */
  weights?: Record<Color, number>
  /** Registered ip targets per group (default 2). */
  targetsPerGroup?: number
  services?: Partial<Record<Color, ServiceOptions>>
  /** Default: web-5xx and web-latency, both OK. */
  alarms?: AlarmSpec[]
  /** Adds `/admin/*` (priority 20): authenticate-oidc (Order 1) ahead of the forward (Order 2). */
  oidcRule?: boolean
  /** Adds `/legacy/*` (priority 30) forwarding to blue, green and a third group, web-legacy-tg. */
  thirdGroupRule?: boolean
  /** Image of task definition revision 1 (default public.ecr.aws/nginx/nginx:1.27). */
  image?: string
}

/** A target group of the stack. */
export interface TargetGroupInfo {
  arn: string
  name: string
  targetIps: string[]
}

/** A service of the pair. */
export interface ServiceInfo {
  name: string
  arn: string
  targetGroupArn: string
}

/** Everything a test needs to drive and inspect a provisioned stack. */
export interface Stack extends Network {
  account: TestAccount
  /** Clients bound to the account, talking to moto directly. */
  aws: TestAws
  loadBalancerArn: string
  listenerArn: string
  rules: { api: string; oidc?: string; thirdGroup?: string }
  targetGroups: Record<Color, TargetGroupInfo> & { third?: TargetGroupInfo }
  clusterName: string
  clusterArn: string
  services: Record<Color, ServiceInfo>
  live: Color
  idle: Color
  taskDefinitionFamily: string
  /** Revision 1, which both services run. */
  taskDefinitionArn: string
  containerName: string
  containerPort: number
  alarmNames: string[]
}

/** Sticky sessions on the `/api/*` rule, which every write must carry over unchanged. */
export const API_STICKINESS = { Enabled: true, DurationSeconds: 300 }

/**
 * Builds the whole stack through the SDK against moto, in a fresh account unless one is given:
 * VPC, ALB, two ip target groups with healthy targets, an HTTP:80 listener and rules
 * forwarding with weights, the ECS cluster, task definition and service pair, and alarms.
 */
export async function provisionStack(options: StackOptions = {}): Promise<Stack> {
  const account = options.account ?? (await newAccount())
  const aws = testAws(account)
  const live = options.live ?? 'blue'
  const idle: Color = live === 'blue' ? 'green' : 'blue'
  const targets = options.targetsPerGroup ?? 2

  const network = await createNetwork(aws)
  const loadBalancerArn = await createLoadBalancer(aws, network)
  const blue = await createTargetGroup(aws, network.vpcId, 'web-blue-tg', 11, targets)
  const green = await createTargetGroup(aws, network.vpcId, 'web-green-tg', 12, targets)
  const targetGroups: Stack['targetGroups'] = { blue, green }

  const share = options.weights ?? ({ [live]: 100, [idle]: 0 } as Record<Color, number>)
  const weights = { [blue.arn]: share.blue, [green.arn]: share.green }
  const listenerArn = await createListener(aws, loadBalancerArn, [forward(weights)])
  const rules: Stack['rules'] = {
    api: await createPathRule(aws, listenerArn, 10, '/api/*', [forward(weights, API_STICKINESS)])
  }
  if (options.oidcRule) {
    rules.oidc = await createPathRule(aws, listenerArn, 20, '/admin/*', [
      authenticateOidc(1),
      forward(weights, undefined, 2)
    ])
  }
  if (options.thirdGroupRule) {
    targetGroups.third = await createTargetGroup(aws, network.vpcId, 'web-legacy-tg', 13, targets)
    const third = { ...weights, [targetGroups.third.arn]: 0 }
    rules.thirdGroup = await createPathRule(aws, listenerArn, 30, '/legacy/*', [forward(third)])
  }

  const clusterArn = await createCluster(aws)
  const taskDefinitionArn = await registerWebTaskDefinition(
    aws,
    options.image ?? 'public.ecr.aws/nginx/nginx:1.27'
  )
  const services = {} as Record<Color, ServiceInfo>
  for (const color of ['blue', 'green'] as const) {
    const overrides = options.services?.[color] ?? {}
    const spec = {
      name: `web-${color}`,
      targetGroupArn: targetGroups[color].arn,
      desiredCount: overrides.desiredCount ?? (color === live ? 2 : 0),
      deploymentController: overrides.deploymentController ?? 'ECS',
      strategy: overrides.strategy ?? 'ROLLING'
    }
    const arn = await createService(aws, network, taskDefinitionArn, spec)
    services[color] = { name: spec.name, arn, targetGroupArn: spec.targetGroupArn }
  }

  const alarms = options.alarms ?? DEFAULT_ALARMS
  await createAlarms(aws, loadBalancerArn, alarms)

  return {
    ...network,
    account,
    aws,
    loadBalancerArn,
    listenerArn,
    rules,
    targetGroups,
    clusterName: CLUSTER,
    clusterArn,
    services,
    live,
    idle,
    taskDefinitionFamily: FAMILY,
    taskDefinitionArn,
    containerName: CONTAINER,
    containerPort: CONTAINER_PORT,
    alarmNames: alarms.map(alarm => alarm.name)
  }
}
