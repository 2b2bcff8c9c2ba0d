/**
 * ECS: the pair's services, the task definition to ship, and the wait until the idle service
 * runs it (the wait and its verdict are in `stability.ts`). Reads and writes are separate calls so
 * the engine can check everything first.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  UpdateServiceCommand
} from '@aws-sdk/client-ecs'
import type { ECSClient, Service } from '@aws-sdk/client-ecs'
import { Input } from '../../names.js'
import { InputError } from '../../engine/plan.js'
import { classifyTaskDefinition, familyOf, parseTaskDefinitionFile } from '../../inputs/taskdef.js'
import type { TaskDefinitionSource } from '../../inputs/taskdef.js'
import type { Clock, Log } from '../../engine/types.js'
import { registerOnce } from './register.js'
import { waitStable, type WaitOptions } from './stability.js'
import { readRevisions } from './revision-facts.js'

export type { WaitOptions } from './stability.js'

/** One service of the pair, as the checks and the engine need it. */
export interface ServiceView {
  readonly name: string
  readonly arn: string
  /** `ACTIVE`, `DRAINING` or `INACTIVE`. */
  readonly status: string
  /** Deployment controller: `ECS`, `CODE_DEPLOY` or `EXTERNAL`. */
  readonly controller: string
  /** `deploymentConfiguration.strategy`: `ROLLING` (also when absent), `BLUE_GREEN`, … */
  readonly strategy: string
  /** Target group ARNs of its load balancers, without repeats. */
  readonly targetGroups: readonly string[]
  readonly desiredCount: number
  readonly runningCount: number
  /** The task definition ARN it runs. */
  readonly taskDefinition: string
  readonly family: string
}

/** Seams for `EcsServices`. */
export interface EcsDeps {
  readonly clock: Clock
  readonly log: Log
  /** Where relative task definition paths are read from; the working directory by default. */
  readonly workspace?: string
  /** The client RegisterTaskDefinition goes through (see `Clients.ecsRegister`); the main one by default. */
  readonly registerClient?: ECSClient
}

const INPUT = Input.taskDefinition

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/**
 * Runs an SDK call, turning its error into a sentence that says what was being done and which
 * call failed (an operator looks that call up in CloudTrail or the IAM policy).
 */
async function attempt<T>(what: string, call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new Error(`${what}: ${call} failed: ${errorText(error)}`, { cause: error })
  }
}

/** The ECS calls of one cluster. */
export class EcsServices {
  constructor(
    private readonly client: ECSClient,
    private readonly cluster: string,
    private readonly deps: EcsDeps
  ) {}

  /**
   * The live and the shipped revision, for the summary after a rollback: one bounded read, made
   * only once traffic is safe. Undefined when not read within `withinMs`.
   */
  revisions(live: string, shipped: string, withinMs = 3_000) {
    return readRevisions(this.client, live, shipped, withinMs)
  }

  /** Describes the services in one call, in the order asked; a missing one throws, named. */
  async describe(names: readonly string[], signal?: AbortSignal): Promise<ServiceView[]> {
    const services = await this.describeRaw(names, signal)
    return services.map(toView)
  }

  /**
   * Reads `task-definition` without writing anything: a file is parsed and cleaned (registered
   * later by `register`); an ARN or `family:revision` must exist and be ACTIVE.
   */
  async loadTaskDefinition(value: string): Promise<TaskDefinitionSource> {
    const ref = classifyTaskDefinition(value)
    if (ref.kind === 'file') {
      const path = resolve(this.deps.workspace ?? process.cwd(), ref.path)
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
        throw new InputError(
          INPUT,
          missing
            ? `'${value}' is no file (nothing at ${path}), nor a task definition ARN or ` +
                `family:revision such as 'web:42'`
            : `cannot read '${path}': ${errorText(error)}`
        )
      }
      const { input, ignored, reservedTags } = parseTaskDefinitionFile(text, ref.path)
      if (ignored.length > 0) {
        this.deps.log.warn(
          `Ignoring ${ignored.join(', ')} in ${ref.path}: RegisterTaskDefinition has no such field.`
        )
      }
      if (reservedTags.length > 0) {
        this.deps.log.warn(
          `Leaving out tags ${reservedTags.join(', ')} from ${ref.path}: keys and values ` +
            `starting with aws: are reserved for AWS, and RegisterTaskDefinition refuses them.`
        )
      }
      return { kind: 'file', path: ref.path, family: input.family as string, input }
    }
    let found
    try {
      const out = await this.client.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: ref.value })
      )
      found = out.taskDefinition
    } catch (error) {
      if ((error as Error).name !== 'ClientException') {
        throw new Error(
          `DescribeTaskDefinition failed for task definition '${value}' (input '${INPUT}'): ` +
            errorText(error),
          { cause: error }
        )
      }
      throw new InputError(
        INPUT,
        `'${value}' is not a task definition registered in this account and region ` +
          `(DescribeTaskDefinition: ${(error as Error).message})`
      )
    }
    if (!found?.taskDefinitionArn) {
      throw new InputError(INPUT, `ECS returned nothing for '${value}'`)
    }
    if (found.status !== 'ACTIVE') {
      throw new InputError(
        INPUT,
        `'${value}' is ${found.status}: ECS does not update services to it. ` +
          `Name an ACTIVE revision or register it again`
      )
    }
    const arn = found.taskDefinitionArn
    return { kind: 'registered', arn, family: found.family ?? familyOf(arn) }
  }

  /** Registers a file's task definition and returns its ARN; a registered one is returned as is. */
  async register(source: TaskDefinitionSource): Promise<string> {
    if (source.kind === 'registered') return source.arn
    const arn = await attempt(
      `ECS refused to register the task definition in ${source.path} (input '${INPUT}')`,
      'RegisterTaskDefinition',
      () => registerOnce(this.deps.registerClient ?? this.client, source.input, this.deps)
    )
    this.deps.log.info(`Registered ${arn.slice(arn.lastIndexOf('/') + 1)} from ${source.path}`)
    return arn
  }

  /**
   * Puts a task definition and/or desired count on a service. Returns the id of the deployment
   * ECS started (to pass to `waitStable`), or `undefined` when there was nothing to change.
   */
  async updateIdle(
    service: string,
    change: { readonly taskDefinition?: string; readonly desiredCount?: number }
  ): Promise<string | undefined> {
    if (change.taskDefinition === undefined && change.desiredCount === undefined) return undefined
    const parts = [
      change.taskDefinition && `task definition ${change.taskDefinition}`,
      change.desiredCount !== undefined && `desired count ${change.desiredCount}`
    ].filter(Boolean)
    const out = await attempt(
      `Could not update service '${service}' in cluster '${this.cluster}' to ${parts.join(' and ')}`,
      'UpdateService',
      () =>
        this.client.send(new UpdateServiceCommand({ cluster: this.cluster, service, ...change }))
    )
    this.deps.log.info(`Updated ${service}: ${parts.join(', ')}`)
    return out.service?.deployments?.find(d => d.status === 'PRIMARY')?.id
  }

  /**
   * Polls the service every `intervalMs` until its deployment is complete and every task runs
   * (see `stability.ts`).
   */
  async waitStable(service: string, opts: WaitOptions): Promise<void> {
    const describe = async (name: string) => (await this.describeRaw([name]))[0]
    await waitStable(describe, this.deps, service, opts)
  }

  /** Sets a service's desired count to 0 (`after-promotion: scale-down`). */
  async scaleDown(service: string): Promise<void> {
    await this.updateIdle(service, { desiredCount: 0 })
  }

  private async describeRaw(names: readonly string[], signal?: AbortSignal): Promise<Service[]> {
    const out = await attempt(
      `Could not read service${names.length > 1 ? 's' : ''} ${names.map(n => `'${n}'`).join(', ')} in cluster '${this.cluster}'`,
      'DescribeServices',
      () =>
        this.client.send(
          new DescribeServicesCommand({ cluster: this.cluster, services: [...names] }),
          signal ? { abortSignal: signal } : {}
        )
    )
    return names.map(name => {
      const found = out.services?.find(s => s.serviceName === name || s.serviceArn === name)
      if (found) return found
      const failure = out.failures?.find(f => f.arn === name || f.arn?.endsWith(`/${name}`))
      const why = failure?.reason ? ` (${failure.reason})` : ''
      throw new Error(
        `ECS service '${name}' was not found in cluster '${this.cluster}'${why}. Check the ` +
          `'${Input.services}' and '${Input.cluster}' inputs and that the credentials are for the right account ` +
          `and region.`
      )
    })
  }
}

function toView(s: Service): ServiceView {
  const taskDefinition = s.taskDefinition ?? ''
  const groups = (s.loadBalancers ?? []).flatMap(lb => lb.targetGroupArn ?? [])
  return {
    name: s.serviceName ?? '',
    arn: s.serviceArn ?? '',
    status: s.status ?? 'UNKNOWN',
    controller: s.deploymentController?.type ?? 'ECS',
    strategy: s.deploymentConfiguration?.strategy ?? 'ROLLING',
    targetGroups: [...new Set(groups)],
    desiredCount: s.desiredCount ?? 0,
    runningCount: s.runningCount ?? 0,
    taskDefinition,
    family: familyOf(taskDefinition)
  }
}
