/**
 * A proxy in front of the fault proxy that rewrites answers moto cannot give: targets that turn
 * unhealthy or drain (moto's ip targets are always healthy), and canary tasks that stop (moto's
 * deployments never change). The action → this proxy → the fault proxy (which still counts and
 * breaks calls) → moto.
 *
 * The rewritten answers follow the documented shapes: DescribeTargetHealth's states and reason
 * codes (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html),
 * ECS's Service.runningCount and Task.stopCode / stoppedReason / Container.exitCode. Every
 * DescribeServices and DescribeTasks answer is checked against ECS's documented rules
 * (`ecs-rules.ts`, support/README.md's health proxy table): a rewrite that breaks one (say
 * `failedTasks` on a COMPLETED deployment) is recorded in `violations()`. Crash loops and other
 * stops are modelled whole by `EcsTimeline` (`ecs-standin.ts`).
 */
import { randomUUID } from 'node:crypto'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { identify } from './aws-wire.js'
import { EcsRules, stoppedTaskViolations } from './ecs-rules.js'

/** One target as the rewritten DescribeTargetHealth reports it. */
export interface FakeTarget {
  id: string
  port: number
  state: 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unhealthy.draining'
  reason?: string
  description?: string
}

/** The request and moto's answer, as a hook sees them. */
export interface Exchange {
  /** The request body (query form or JSON). */
  request: string
  /** moto's answer body. */
  answer: string
}

/** Returns a new answer body, or undefined to pass moto's answer on unchanged. */
export type Hook = (exchange: Exchange) => string | undefined

/** One answer a hook rewrote, and when it went out (Date.now()). */
export interface Rewritten {
  operation: string
  at: number
  body: string
}

export interface HealthProxy {
  /** Give this to the action as its AWS endpoint. */
  url: string
  /** Rewrites answers of `operation` while set; `undefined` removes the hook. */
  on(operation: string, hook: Hook | undefined): void
  /** Answers rewritten so far, in order. */
  rewritten(): Rewritten[]
  /** Answers that broke a documented ECS rule (`ecs-rules.ts`), for the test to expect none. */
  violations(): string[]
  close(): Promise<void>
}

/** Starts the proxy on 127.0.0.1, forwarding to `upstream` (the fault proxy's URL). */
export async function startHealthProxy(upstream: string): Promise<HealthProxy> {
  const target = new URL(upstream)
  const hooks = new Map<string, Hook>()
  const log: Rewritten[] = []
  const rules = new EcsRules()
  const broken: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const { operation } = identify(req.url ?? '/', req.headers, body)
      const out = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers
        },
        answer => {
          const parts: Buffer[] = []
          answer.on('data', (chunk: Buffer) => parts.push(chunk))
          answer.on('end', () => {
            const original = Buffer.concat(parts)
            const hook = hooks.get(operation)
            const ok = (answer.statusCode ?? 500) < 300
            const changed =
              hook && ok
                ? hook({ request: body.toString('utf8'), answer: original.toString('utf8') })
                : undefined
            const headers = { ...answer.headers }
            delete headers['content-length']
            delete headers['transfer-encoding']
            const sent = changed === undefined ? original : Buffer.from(changed, 'utf8')
            res.writeHead(answer.statusCode ?? 502, {
              ...headers,
              'content-length': String(sent.length)
            })
            res.end(sent)
            if (changed !== undefined) log.push({ operation, at: Date.now(), body: changed })
            if (ok && operation === 'DescribeServices')
              broken.push(...rules.services(sent.toString('utf8')))
            if (ok && operation === 'DescribeTasks')
              broken.push(...stoppedTaskViolations(sent.toString('utf8')))
          })
        }
      )
      out.on('error', error => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
        res.end(`e2e health proxy: upstream unreachable: ${error.message}`)
      })
      out.end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    on(operation, hook) {
      if (hook) hooks.set(operation, hook)
      else hooks.delete(operation)
    },
    rewritten: () => [...log],
    violations: () => [...broken],
    async close() {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/**
 * A DescribeTargetHealth hook: for the group `targetGroupArn` (asked by ARN in the query body),
 * answers `targets()` instead of moto's always-healthy list; other groups pass unchanged.
 */
export function targetHealth(targetGroupArn: string, targets: () => FakeTarget[]): Hook {
  return ({ request }) => {
    if (new URLSearchParams(request).get('TargetGroupArn') !== targetGroupArn) return undefined
    const members = targets()
      .map(
        t =>
          `<member><Target><Id>${t.id}</Id><Port>${t.port}</Port></Target>` +
          `<HealthCheckPort>${t.port}</HealthCheckPort><TargetHealth><State>${t.state}</State>` +
          (t.reason ? `<Reason>${t.reason}</Reason>` : '') +
          (t.description ? `<Description>${escapeXml(t.description)}</Description>` : '') +
          `</TargetHealth></member>`
      )
      .join('')
    return (
      `<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">` +
      `<DescribeTargetHealthResult><TargetHealthDescriptions>${members}</TargetHealthDescriptions>` +
      `</DescribeTargetHealthResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId>` +
      `</ResponseMetadata></DescribeTargetHealthResponse>`
    )
  }
}

/**
 * What a DescribeServices hook changes on one service. No `failedTasks`: while a stage bakes the
 * deployment is COMPLETED, and "Once a service deployment has one or more successfully running
 * tasks, the failed task count resets to zero and stops being evaluated" (Deployment.failedTasks).
 */
export interface ServiceChange {
  runningCount?: number
  /** Put first in `events` (newest first, as ECS lists them). */
  event?: string
}

/** A DescribeServices hook changing the service `name` as `change()` says at each read. */
export function serviceChange(name: string, change: () => ServiceChange): Hook {
  return ({ answer }) => {
    const out = JSON.parse(answer) as { services?: Record<string, unknown>[] }
    const svc = out.services?.find(s => s.serviceName === name)
    if (!svc) return undefined
    const c = change()
    if (c.runningCount !== undefined) svc.runningCount = c.runningCount
    const deployments = (svc.deployments ?? []) as Record<string, unknown>[]
    const primary = deployments.find(d => d.status === 'PRIMARY')
    if (primary && c.runningCount !== undefined) primary.runningCount = c.runningCount
    if (c.event) {
      const events = (svc.events ?? []) as Record<string, unknown>[]
      svc.events = [{ id: randomUUID(), createdAt: Date.now() / 1000, message: c.event }, ...events]
    }
    return JSON.stringify(out)
  }
}

/**
 * ListTasks (desiredStatus STOPPED) and DescribeTasks hooks answering one stopped task of the
 * canary's revision, stopped now with `EssentialContainerExited` and `exitCode`.
 */
export function stoppedTask(
  clusterArn: string,
  taskDefinitionArn: string,
  exitCode: number
): { list: Hook; describe: Hook } {
  const arn = `${clusterArn.replace(':cluster/', ':task/')}/${randomUUID().replace(/-/g, '')}`
  const stoppedAt = Date.now()
  return {
    list: ({ request }) =>
      (JSON.parse(request) as { desiredStatus?: string }).desiredStatus === 'STOPPED'
        ? JSON.stringify({ taskArns: [arn] })
        : undefined,
    describe: ({ request }) =>
      !((JSON.parse(request) as { tasks?: string[] }).tasks ?? []).includes(arn)
        ? undefined
        : JSON.stringify({
            tasks: [
              {
                taskArn: arn,
                clusterArn,
                taskDefinitionArn,
                lastStatus: 'STOPPED',
                desiredStatus: 'STOPPED',
                stopCode: 'EssentialContainerExited',
                stoppedReason: 'Essential container in task exited',
                stoppedAt: stoppedAt / 1000,
                containers: [{ name: 'web', lastStatus: 'STOPPED', exitCode }]
              }
            ],
            failures: []
          })
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
