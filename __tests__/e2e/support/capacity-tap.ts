/**
 * A stand-in for what moto leaves out between ECS and ELB, placed between the action and the
 * fault proxy. On AWS, ECS registers each task of a service behind a load balancer as a target of
 * its group, and a new target reports `initial` until it has passed the health check's healthy
 * threshold (interval × threshold, about 150 s with ALB defaults: "Health checks for Application
 * Load Balancer target groups", Elastic Load Balancing User Guide,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 * moto registers no task and reports every registered ip target healthy at once.
 *
 * So for the groups it is told about, the tap answers DescribeTargetHealth itself: one target per
 * task of the service's desired count as the action last set it (UpdateService passes through
 * here), healthy, except those above `healthyAtMost`, which stay `initial` for good (a scale-up
 * that never becomes healthy). Every other request goes on unchanged. It also keeps, in order,
 * the action's UpdateService, ModifyRule/ModifyListener, RegisterScalableTarget and AddTags
 * calls, so a test can tell what was set before each weight moved.
 */
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One group the tap answers for. */
export interface TappedGroup {
  /** The ECS service whose tasks are this group's targets. */
  service: string
  /** Its desired count now (the tap follows UpdateService from there). */
  count: number
  /** Targets above this many stay `initial` (default: all become healthy at once). */
  healthyAtMost?: number
  /** `10.0.12` → targets 10.0.12.10, .11, … */
  ipPrefix: string
}

/** What the action did, in order. */
export type CapacityEvent =
  | { kind: 'scale'; service: string; desiredCount: number }
  | { kind: 'shift'; arn: string; weights: Record<string, number> }
  | { kind: 'scale-in'; resourceId: string; suspended: boolean }
  | { kind: 'tag'; arns: string[]; tags: Record<string, string> }

export interface CapacityTap {
  url: string
  events(): CapacityEvent[]
  /** Sets a group's desired count as a change made outside the action would. */
  setCount(groupArn: string, count: number): void
  close(): Promise<void>
}

/** Starts the tap in front of `target` (the fault proxy's URL). */
export async function startCapacityTap(
  target: string,
  groups: Record<string, TappedGroup>
): Promise<CapacityTap> {
  const upstream = new URL(target)
  const events: CapacityEvent[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const text = body.toString('utf8')
      const amzTarget = String(req.headers['x-amz-target'] ?? '')
      const form = amzTarget ? undefined : new URLSearchParams(text)
      const action = form?.get('Action')
      const health = action === 'DescribeTargetHealth' && groups[form!.get('TargetGroupArn')!]
      if (health) {
        res.writeHead(200, { 'content-type': 'text/xml' })
        res.end(targetHealthXml(health))
        return
      }
      const event = decode(amzTarget, text, form)
      if (event) events.push(event)
      if (event?.kind === 'scale') {
        for (const g of Object.values(groups)) {
          if (g.service === event.service) g.count = event.desiredCount
        }
      }
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers
        },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )
      out.on('error', () => res.destroy())
      out.end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    events: () => [...events],
    setCount(groupArn, count) {
      groups[groupArn].count = count
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

function decode(
  amzTarget: string,
  text: string,
  form: URLSearchParams | undefined
): CapacityEvent | undefined {
  const op = amzTarget.split('.').pop()
  if (op === 'UpdateService') {
    const input = JSON.parse(text) as { service: string; desiredCount?: number }
    if (input.desiredCount === undefined) return undefined
    return { kind: 'scale', service: input.service, desiredCount: input.desiredCount }
  }
  if (op === 'RegisterScalableTarget') {
    const input = JSON.parse(text) as {
      ResourceId: string
      SuspendedState?: { DynamicScalingInSuspended?: boolean }
    }
    return {
      kind: 'scale-in',
      resourceId: input.ResourceId,
      suspended: input.SuspendedState?.DynamicScalingInSuspended === true
    }
  }
  const action = form?.get('Action')
  if (action === 'ModifyRule' || action === 'ModifyListener') {
    const list = action === 'ModifyRule' ? 'Actions' : 'DefaultActions'
    const weights: Record<string, number> = {}
    const slots = new Map<string, { arn?: string; weight?: number }>()
    for (const [key, value] of form!) {
      const m = new RegExp(
        `^${list}\\.member\\.(\\d+)\\.ForwardConfig\\.TargetGroups\\.member\\.(\\d+)\\.(TargetGroupArn|Weight)$`
      ).exec(key)
      if (!m) continue
      const slot = slots.get(`${m[1]}.${m[2]}`) ?? {}
      if (m[3] === 'Weight') slot.weight = Number(value)
      else slot.arn = value
      slots.set(`${m[1]}.${m[2]}`, slot)
    }
    for (const { arn, weight } of slots.values()) if (arn) weights[arn] = weight ?? NaN
    const arn = form!.get(action === 'ModifyRule' ? 'RuleArn' : 'ListenerArn') ?? ''
    return { kind: 'shift', arn, weights }
  }
  if (action === 'AddTags') {
    const tags: Record<string, string> = {}
    for (let i = 1; form!.has(`Tags.member.${i}.Key`); i++) {
      tags[form!.get(`Tags.member.${i}.Key`)!] = form!.get(`Tags.member.${i}.Value`) ?? ''
    }
    const arns: string[] = []
    for (let i = 1; form!.has(`ResourceArns.member.${i}`); i++) {
      arns.push(form!.get(`ResourceArns.member.${i}`)!)
    }
    return { kind: 'tag', arns, tags }
  }
  return undefined
}

function targetHealthXml(group: TappedGroup): string {
  const members = Array.from({ length: group.count }, (_, i) => {
    const healthy = group.healthyAtMost === undefined || i < group.healthyAtMost
    const state = healthy
      ? '<State>healthy</State>'
      : '<State>initial</State><Reason>Elb.InitialHealthChecking</Reason>' +
        '<Description>Initial health checks in progress</Description>'
    return (
      `<member><Target><Id>${group.ipPrefix}.${10 + i}</Id><Port>8080</Port></Target>` +
      `<HealthCheckPort>8080</HealthCheckPort><TargetHealth>${state}</TargetHealth></member>`
    )
  })
  return (
    '<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">' +
    `<DescribeTargetHealthResult><TargetHealthDescriptions>${members.join('')}</TargetHealthDescriptions>` +
    '</DescribeTargetHealthResult><ResponseMetadata><RequestId>capacity-tap</RequestId></ResponseMetadata>' +
    '</DescribeTargetHealthResponse>'
  )
}
