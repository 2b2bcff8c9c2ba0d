/**
 * Registering a task definition without registering it twice. RegisterTaskDefinition is not
 * idempotent (it has no client token): a call that timed out on our side may still have created
 * a revision, and sending it again creates another one. So the SDK retries it only when AWS
 * throttled it (then nothing was registered), and after an answer that never came this module
 * looks for the revision that call may have made before it sends the request once more.
 */
import {
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand
} from '@aws-sdk/client-ecs'
import type {
  ECSClient,
  RegisterTaskDefinitionCommandInput,
  TaskDefinition,
  Tag
} from '@aws-sdk/client-ecs'
import { StandardRetryStrategy } from '@smithy/core/retry'
import { READ_ONLY_FIELDS } from '../../inputs/taskdef.js'
import type { Clock, Log } from '../../engine/types.js'

/** How far back a revision counts as the timed-out call's (server and runner clocks differ). */
const RECENT_MS = 5 * 60_000
/** How many of the family's newest revisions are compared; a few minutes hold no more. */
const NEWEST = 5

/** The SDK's retry strategy interface (RetryStrategyV2), as the standard strategy implements it. */
type RetryStrategy = Pick<
  StandardRetryStrategy,
  'acquireInitialRetryToken' | 'refreshRetryTokenForRetry' | 'recordSuccess'
>

/**
 * The SDK's standard retries, but only for throttling: a timeout, a reset connection or a 5xx
 * may have reached ECS, and a blind retry would register a duplicate revision.
 */
export function throttlingOnlyRetries(maxAttempts: number): RetryStrategy {
  const standard = new StandardRetryStrategy(maxAttempts)
  return {
    acquireInitialRetryToken: scope => standard.acquireInitialRetryToken(scope),
    refreshRetryTokenForRetry: (token, info) =>
      info.errorType === 'THROTTLING'
        ? standard.refreshRetryTokenForRetry(token, info)
        : Promise.reject(info.error),
    recordSuccess: token => standard.recordSuccess(token)
  }
}

/** Seams for `registerOnce`. */
export interface RegisterDeps {
  readonly clock: Clock
  readonly log: Log
}

/**
 * Registers `input` and returns the new revision's ARN. When the call ended without an answer
 * from ECS, a revision of the family registered in the last minutes with the same content is
 * taken as that call's; only when there is none is the request sent once more.
 */
export async function registerOnce(
  client: ECSClient,
  input: RegisterTaskDefinitionCommandInput,
  deps: RegisterDeps
): Promise<string> {
  const sentAt = deps.clock.now()
  try {
    return await register(client, input)
  } catch (error) {
    if (!unanswered(error)) throw error
    const family = input.family ?? ''
    const found = await findIdentical(client, input, sentAt - RECENT_MS).catch(lookup => {
      deps.log.warn(
        `Could not look for a revision of ${family} the call may have registered: ${text(lookup)}`
      )
      return undefined
    })
    if (found) {
      deps.log.warn(
        `RegisterTaskDefinition got no answer (${text(error)}), but timed out after ECS took it: ` +
          `${found.slice(found.lastIndexOf('/') + 1)} was registered moments ago with identical content; using it.`
      )
      return found
    }
    deps.log.warn(
      `RegisterTaskDefinition got no answer (${text(error)}) and no revision of ${family} from the ` +
        `last minutes has the same content: registering once more.`
    )
    return await register(client, input)
  }
}

async function register(client: ECSClient, input: RegisterTaskDefinitionCommandInput) {
  const out = await client.send(new RegisterTaskDefinitionCommand(input))
  const arn = out.taskDefinition?.taskDefinitionArn
  if (!arn) throw new Error('RegisterTaskDefinition returned no ARN')
  return arn
}

/**
 * Whether ECS may have acted on a call that failed: no HTTP answer at all (a timeout, a reset
 * connection) or a 5xx. A 4xx is a refusal: nothing was registered.
 */
function unanswered(error: unknown): boolean {
  const { $fault, $metadata } = error as {
    $fault?: string
    $metadata?: { httpStatusCode?: number }
  }
  const status = $metadata?.httpStatusCode
  return $fault !== 'client' && (status === undefined || status >= 500)
}

/** The newest revision of the family registered since `sinceMs` whose content is `input`'s. */
async function findIdentical(
  client: ECSClient,
  input: RegisterTaskDefinitionCommandInput,
  sinceMs: number
): Promise<string | undefined> {
  const listed = await named('ListTaskDefinitions', `family ${input.family}`, () =>
    client.send(
      new ListTaskDefinitionsCommand({
        familyPrefix: input.family,
        sort: 'DESC',
        maxResults: NEWEST
      })
    )
  )
  for (const arn of listed.taskDefinitionArns ?? []) {
    const out = await named('DescribeTaskDefinition', arn, () =>
      client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }))
    )
    const found = out.taskDefinition
    if (!found) return undefined
    // Newest first: once one is older than the window, so are the rest. AWS always says when a
    // revision was registered; without a date (an emulator), content alone decides, and an
    // identical revision serves as well as a new one would.
    if (found.registeredAt && found.registeredAt.getTime() < sinceMs) return undefined
    if (found.family === input.family && sameContent(input, found, out.tags)) return arn
  }
  return undefined
}

/**
 * Whether a described revision holds what `input` registers. ECS fills in defaults (`cpu: 0`,
 * empty lists, `protocol: tcp`, the host port), so what the input leaves out may be there as a
 * default, but anything it sets must be the same, and tags must match exactly.
 */
export function sameContent(
  input: RegisterTaskDefinitionCommandInput,
  found: TaskDefinition,
  tags: readonly Tag[] | undefined
): boolean {
  const { tags: wanted, ...fields } = input
  const key = (t: Tag) => `${t.key}=${t.value}`
  const tagsMatch =
    JSON.stringify((wanted ?? []).map(key).sort()) === JSON.stringify((tags ?? []).map(key).sort())
  return tagsMatch && covers(fields, found)
}

/** `wanted` ⊆ `found`: every value set in `wanted` is in `found`; what only `found` has is a default. */
function covers(wanted: unknown, found: unknown): boolean {
  // An empty list or object sent reads back as nothing at all.
  if (found === undefined || found === null) return isDefault('', wanted)
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(found) &&
      wanted.length === found.length &&
      wanted.every((w, i) => covers(w, found[i]))
    )
  }
  if (isRecord(wanted)) {
    if (!isRecord(found)) return false
    const extra = Object.keys(found).filter(k => !(k in wanted) && !READ_ONLY_FIELDS.includes(k))
    return (
      Object.entries(wanted).every(([k, v]) => v === undefined || covers(v, found[k])) &&
      extra.every(k => isDefault(k, found[k]))
    )
  }
  return wanted === found
}

/** What ECS puts where a request says nothing. */
function isDefault(key: string, value: unknown): boolean {
  if (value === undefined || value === null || value === 0 || value === false || value === '') {
    return true
  }
  if (Array.isArray(value)) return value.length === 0
  if (isRecord(value)) return Object.keys(value).length === 0
  return (
    (key === 'protocol' && value === 'tcp') ||
    (key === 'essential' && value === true) ||
    key === 'hostPort' ||
    (key === 'networkMode' && value === 'bridge')
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Runs one call; its error names the call and what it was about. */
async function named<T>(call: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new Error(`${call} failed for ${what}: ${text(error)}`, { cause: error })
  }
}

function text(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
