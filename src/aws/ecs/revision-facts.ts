/**
 * What a task definition revision is made of, for the "what changed" list after a rollback:
 * images, environment variable names (never their values), cpu, memory and ports.
 */
import {
  DescribeTaskDefinitionCommand,
  type ECSClient,
  type TaskDefinition
} from '@aws-sdk/client-ecs'
import type { RevisionFacts } from '../../engine/types.js'

/** The facts of one revision as DescribeTaskDefinition tells them. Values of env are dropped here. */
export function factsOf(arn: string, def: TaskDefinition | undefined): RevisionFacts {
  return {
    arn: def?.taskDefinitionArn ?? arn,
    ...(def?.cpu ? { cpu: def.cpu } : {}),
    ...(def?.memory ? { memory: def.memory } : {}),
    containers: (def?.containerDefinitions ?? []).map(c => ({
      name: c.name ?? '',
      image: c.image ?? '',
      // Names only. AWS: "We don't recommend that you use plaintext environment variables for
      // sensitive information, such as credential data" (ContainerDefinition.environment), which
      // says people do; and the summary is readable by anyone with the repository.
      environment: [
        ...(c.environment ?? []).map(e => e.name ?? ''),
        ...(c.secrets ?? []).map(s => s.name ?? '')
      ].sort(),
      ports: (c.portMappings ?? []).map(p => `${p.containerPort ?? '?'}/${p.protocol ?? 'tcp'}`)
    }))
  }
}

/** Reads both revisions, side by side, within `withinMs`; undefined when either is not read in time. */
export async function readRevisions(
  client: ECSClient,
  live: string,
  shipped: string,
  withinMs: number
): Promise<{ live: RevisionFacts; shipped: RevisionFacts } | undefined> {
  const read = async (arn: string) =>
    factsOf(
      arn,
      (await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition
    )
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>(resolve => {
    timer = setTimeout(() => resolve(undefined), withinMs)
  })
  try {
    const both = Promise.all([read(live), read(shipped)]).then(
      ([a, b]) => ({ live: a, shipped: b }),
      () => undefined
    )
    return await Promise.race([both, late])
  } finally {
    clearTimeout(timer)
  }
}
