/**
 * The desired counts of a cluster's services, read with a client of its own: the post step
 * reads them before it resumes a scale-in, to say where AWS moves a service (src/modes/scale-in.ts).
 */
import { DescribeServicesCommand, ECSClient, type ECSClientConfig } from '@aws-sdk/client-ecs'

/** Reads `services`' desired counts in one DescribeServices (a pair: under its limit of 10). */
export function desiredCounts(config: ECSClientConfig, cluster: string) {
  return async (services: readonly string[]): Promise<Map<string, number>> => {
    const client = new ECSClient(config)
    try {
      const out = await client.send(
        new DescribeServicesCommand({ cluster, services: [...services] })
      )
      return new Map(
        (out.services ?? []).map(s => [s.serviceName ?? '', s.desiredCount ?? 0] as const)
      )
    } finally {
      client.destroy()
    }
  }
}
