/**
 * Issue 15: the README's "Prepare your services" commands, run against moto, give a pair the
 * action promotes; and a rule that starts as a plain forward to one group works as well.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  ModifyRuleCommand,
  RegisterTargetsCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { newAccount } from './support/accounts.js'
import { testAws } from './support/clients.js'
import type { TestAws } from './support/clients.js'
import { DEFAULT_ALARMS, createAlarms } from './support/fixture-alarms.js'
import { createCluster, registerWebTaskDefinition } from './support/fixture-ecs.js'
import { createListener, createLoadBalancer, createNetwork } from './support/fixture-elb.js'
import { readWeights } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { runShell, shellBlock } from './support/readme-shell.js'
import type { ShellRun } from './support/readme-shell.js'
import { runAction } from './support/runner.js'
import { repoRoot } from './support/runner-env.js'

const e2e = useE2e()
const opened: TestAws[] = []
afterEach(() => opened.splice(0).forEach(aws => aws.destroy()))

const README = readFileSync(join(repoRoot, 'README.md'), 'utf8')

/**
 * A fresh account with what a reader has before the block (a network, an ALB listener whose
 * default action is a fixed 404, a cluster, a task definition, alarms), then the block run.
 */
async function prepared(): Promise<{ aws: TestAws; run: ShellRun }> {
  const aws = testAws(await newAccount())
  opened.push(aws)
  const network = await createNetwork(aws)
  const loadBalancerArn = await createLoadBalancer(aws, network)
  const notFound = { Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '404' } }
  const listenerArn = await createListener(aws, loadBalancerArn, [notFound])
  await createCluster(aws)
  const taskDefinition = await registerWebTaskDefinition(aws, 'public.ecr.aws/nginx/nginx:1.27')
  await createAlarms(aws, loadBalancerArn, DEFAULT_ALARMS)
  const run = await runShell(shellBlock(README, '## Prepare your services'), aws, {
    LISTENER_ARN: listenerArn,
    VPC_ID: network.vpcId,
    SUBNET_A: network.subnetIds[0],
    SUBNET_B: network.subnetIds[1],
    SECURITY_GROUP: network.securityGroupId,
    CLUSTER: 'web-cluster',
    TASK_DEFINITION: taskDefinition
  })
  // ECS registers its tasks' IPs in the service's group; moto's ECS does not, so do it here.
  for (const [group, octet] of [
    [run.vars.BLUE_TG, 11],
    [run.vars.GREEN_TG, 12]
  ] as const) {
    await aws.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: group,
        Targets: [10, 11].map(host => ({ Id: `10.0.${octet}.${host}`, Port: 8080 }))
      })
    )
  }
  return { aws, run }
}

/** A deploy of the pair the block created, over the rule it created, with one-second bakes. */
function deploy(aws: TestAws, run: ShellRun) {
  return runAction(e2e.context({ account: aws.account }), {
    inputs: {
      cluster: run.vars.CLUSTER,
      services: 'web-blue web-green',
      'listener-rules': run.vars.RULE_ARN,
      alarms: 'web-5xx web-latency',
      stages: '50:1s,100:1s',
      'poll-interval': '250ms'
    }
  })
}

describe("the README's set-up commands", () => {
  it('create a pair that a deploy promotes', async () => {
    const { aws, run } = await prepared()
    expect(run.calls).toEqual([
      'elbv2 create-target-group',
      'elbv2 create-target-group',
      'elbv2 create-rule',
      'ecs create-service',
      'ecs create-service',
      'elbv2 describe-rules'
    ])
    expect((await readWeights(aws, run.vars.RULE_ARN)).weights).toEqual({
      [run.vars.BLUE_TG]: 100,
      [run.vars.GREEN_TG]: 0
    })

    const result = await deploy(aws, run)

    expect(result.code).toBe(0)
    expect(result.outputs).toMatchObject({ result: 'promoted', 'live-service': 'web-green' })
    expect((await readWeights(aws, run.vars.RULE_ARN)).weights).toEqual({
      [run.vars.BLUE_TG]: 0,
      [run.vars.GREEN_TG]: 100
    })
  })

  it('work from a plain forward to one target group as well', async () => {
    const { aws, run } = await prepared()
    const plain = { Type: 'forward' as const, TargetGroupArn: run.vars.BLUE_TG }
    await aws.elbv2.send(new ModifyRuleCommand({ RuleArn: run.vars.RULE_ARN, Actions: [plain] }))

    const result = await deploy(aws, run)

    expect(result.code).toBe(0)
    expect(result.outputs).toMatchObject({ result: 'promoted', 'live-service': 'web-green' })
    expect((await readWeights(aws, run.vars.RULE_ARN)).weights).toEqual({
      [run.vars.BLUE_TG]: 0,
      [run.vars.GREEN_TG]: 100
    })
  })
})
