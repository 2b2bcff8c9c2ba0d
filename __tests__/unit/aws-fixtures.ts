/** Named AWS responses for the mode tests: a healthy blue/green pair with blue live. */
import type { DescribeAlarmsCommandOutput } from '@aws-sdk/client-cloudwatch'
import type { DescribeServicesCommandOutput, Service } from '@aws-sdk/client-ecs'
import type {
  DescribeRulesCommandOutput,
  DescribeTagsCommandOutput,
  DescribeTargetHealthCommandOutput,
  Rule
} from '@aws-sdk/client-elastic-load-balancing-v2'

const ACCOUNT = '123456789012'
const ELB = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}`
export const RULE = `${ELB}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`
export const BLUE_TG = `${ELB}:targetgroup/web-blue/73e2d6bc24d8a067`
export const GREEN_TG = `${ELB}:targetgroup/web-green/943f017f100becff`
export const THIRD_TG = `${ELB}:targetgroup/web-old/1e2d3c4b5a697887`
const TASK_DEF = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/web:7`

/** A rule forwarding with the given weights (blue, green) and maybe a third group. */
export function ruleWith(weights: { blue: number; green: number; third?: number }) {
  const TargetGroups = [
    { TargetGroupArn: BLUE_TG, Weight: weights.blue },
    { TargetGroupArn: GREEN_TG, Weight: weights.green },
    ...(weights.third === undefined ? [] : [{ TargetGroupArn: THIRD_TG, Weight: weights.third }])
  ]
  const rule: Rule = {
    RuleArn: RULE,
    Priority: '10',
    IsDefault: false,
    Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
    Actions: [{ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups } }]
  }
  return { Rules: [rule], $metadata: {} } satisfies DescribeRulesCommandOutput
}

export const noTags = {
  TagDescriptions: [{ ResourceArn: RULE, Tags: [] }],
  $metadata: {}
} satisfies DescribeTagsCommandOutput

function service(name: string, tg: string, over: Partial<Service> = {}): Service {
  return {
    serviceName: name,
    serviceArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/web-cluster/${name}`,
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    taskDefinition: TASK_DEF,
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: { strategy: 'ROLLING' },
    loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 8080 }],
    deployments: [
      {
        id: `ecs-svc/${name}`,
        status: 'PRIMARY',
        rolloutState: 'COMPLETED',
        desiredCount: 2,
        runningCount: 2
      }
    ],
    ...over
  }
}

/** The pair; `over` changes the green service. */
export function pair(green: Partial<Service> = {}) {
  return {
    services: [service('web-blue', BLUE_TG), service('web-green', GREEN_TG, green)],
    failures: [],
    $metadata: {}
  } satisfies DescribeServicesCommandOutput
}

export function alarms(
  ...list: { name: string; state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; reason?: string }[]
) {
  return {
    MetricAlarms: list.map(a => ({
      AlarmName: a.name,
      StateValue: a.state,
      StateReason: a.reason ?? 'Threshold Crossed: 1 datapoint [0.0] was not greater than 5.0',
      Period: 60,
      EvaluationPeriods: 1
    })),
    CompositeAlarms: [],
    $metadata: {}
  } satisfies DescribeAlarmsCommandOutput
}

export const healthyTargets = {
  TargetHealthDescriptions: [
    { Target: { Id: '10.0.1.10', Port: 8080 }, TargetHealth: { State: 'healthy' } },
    { Target: { Id: '10.0.1.11', Port: 8080 }, TargetHealth: { State: 'healthy' } }
  ],
  $metadata: {}
} satisfies DescribeTargetHealthCommandOutput
