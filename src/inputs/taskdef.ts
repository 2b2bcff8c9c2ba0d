/**
 * The `task-definition` input: telling a file from a registered revision, turning a file's JSON
 * into a RegisterTaskDefinition request, and the family guard. Pure: reading the file and asking
 * ECS happen in `aws/ecs.ts`.
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs'
import { FAMILY, parseArn, parseArnOf } from '../arn.js'
import { Input } from '../names.js'
import { InputError } from '../engine/plan.js'

const INPUT = Input.taskDefinition

/** What `task-definition` names, before anything is read. */
export type TaskDefinitionRef =
  | { readonly kind: 'registered'; readonly value: string; readonly family: string }
  | { readonly kind: 'file'; readonly path: string }

/**
 * A task definition ready to be put on the idle service. A file is only parsed here: it is
 * registered later, because no write may happen before every check has passed.
 */
export type TaskDefinitionSource =
  | {
      readonly kind: 'file'
      readonly path: string
      readonly family: string
      readonly input: RegisterTaskDefinitionCommandInput
    }
  | { readonly kind: 'registered'; readonly arn: string; readonly family: string }

/** A file turned into a request, and what was left out of it (for a warning). */
export interface ParsedTaskDefinition {
  readonly input: RegisterTaskDefinitionCommandInput
  /** Top-level fields RegisterTaskDefinition does not know; the SDK would drop them silently. */
  readonly ignored: readonly string[]
  /** Keys of the `aws:` tags left out (see `withoutReservedTags`). */
  readonly reservedTags: readonly string[]
}

const FAMILY_REVISION = new RegExp(`^(${FAMILY}):\\d+$`)

/**
 * Every field RegisterTaskDefinition accepts. A Record rather than a list so that tsc fails here
 * when an SDK upgrade adds one, instead of this module dropping it without a word.
 */
const REGISTER_FIELDS: Record<keyof RegisterTaskDefinitionCommandInput, true> = {
  family: true,
  taskRoleArn: true,
  executionRoleArn: true,
  networkMode: true,
  containerDefinitions: true,
  volumes: true,
  placementConstraints: true,
  requiresCompatibilities: true,
  cpu: true,
  memory: true,
  tags: true,
  pidMode: true,
  ipcMode: true,
  proxyConfiguration: true,
  inferenceAccelerators: true,
  ephemeralStorage: true,
  runtimePlatform: true,
  enableFaultInjection: true
}

/** Fields `describe-task-definition` prints that ECS sets itself; registering refuses them. */
export const READ_ONLY_FIELDS: readonly string[] = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt'
]

/**
 * Tells an ARN or `family:revision` (used as registered) from a file path. A bare family name is
 * treated as a path: "latest revision" would deploy whatever was registered last, by anyone.
 */
export function classifyTaskDefinition(value: string): TaskDefinitionRef {
  const text = value.trim()
  const arn = parseArnOf(text, ['task-definition'])
  if (arn) return { kind: 'registered', value: text, family: arn.name }
  const match = FAMILY_REVISION.exec(text)
  if (match) return { kind: 'registered', value: text, family: match[1] }
  return { kind: 'file', path: text }
}

/** The family of a task definition ARN or `family:revision`; the value itself otherwise. */
export function familyOf(taskDefinition: string): string {
  const arn = parseArn(taskDefinition)
  if (arn?.kind === 'task-definition') return arn.name
  const afterSlash = taskDefinition.slice(taskDefinition.lastIndexOf('/') + 1)
  const colon = afterSlash.lastIndexOf(':')
  return colon < 0 ? afterSlash : afterSlash.slice(0, colon)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** JSON `null` means "not set"; the SDK would send it as a value some fields refuse. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls)
  if (!isObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = withoutNulls(item)
  return out
}

/**
 * Splits off the tags whose key or value starts with `aws:` in any case. AWS sets those itself
 * (CloudFormation's stack tags, for one, show up in `describe-task-definition --include TAGS`)
 * and ECS refuses them on create: "Do not use aws:, AWS:, or any upper or lowercase combination
 * of such as a prefix for either keys or values" (Amazon ECS API Reference, data type `Tag`).
 */
function withoutReservedTags(tags: unknown): { kept: unknown; reserved: string[] } {
  if (!Array.isArray(tags)) return { kept: tags, reserved: [] }
  const reserved = (tag: unknown) =>
    isObject(tag) &&
    [tag.key, tag.value].some(text => typeof text === 'string' && /^aws:/i.test(text))
  return {
    kept: tags.filter(tag => !reserved(tag)),
    reserved: tags.filter(reserved).map(tag => String((tag as Record<string, unknown>).key))
  }
}

/**
 * Parses a task definition file as `aws ecs describe-task-definition` prints it (optionally
 * wrapped in `{"taskDefinition": …, "tags": […]}`) or as `amazon-ecs-render-task-definition`
 * writes it, dropping the read-only fields ECS would refuse. `path` is only for messages.
 */
export function parseTaskDefinitionFile(text: string, path: string): ParsedTaskDefinition {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    throw new InputError(INPUT, `'${path}' is not valid JSON (${why})`)
  }
  if (!isObject(json)) {
    throw new InputError(INPUT, `'${path}' must hold a JSON object with a task definition`)
  }
  // describe-task-definition wraps the definition and prints the tags beside it.
  const wrapped = isObject(json.taskDefinition)
  const body = withoutNulls(wrapped ? json.taskDefinition : json) as Record<string, unknown>
  if (wrapped && Array.isArray(json.tags) && body.tags === undefined) body.tags = json.tags
  const { kept, reserved: reservedTags } = withoutReservedTags(body.tags)
  if (body.tags !== undefined) body.tags = kept

  const input: Record<string, unknown> = {}
  const ignored: string[] = []
  for (const [key, value] of Object.entries(body)) {
    if (READ_ONLY_FIELDS.includes(key)) continue
    if (!Object.hasOwn(REGISTER_FIELDS, key)) ignored.push(key)
    // An empty tag list is what describe prints for "no tags"; sending it gains nothing.
    else if (!(key === 'tags' && Array.isArray(value) && value.length === 0)) input[key] = value
  }

  const family = input.family
  if (typeof family !== 'string' || !new RegExp(`^${FAMILY}$`).test(family)) {
    throw new InputError(
      INPUT,
      `'${path}' has no valid "family" (letters, digits, '_' and '-', up to 255 characters)`
    )
  }
  const containers = input.containerDefinitions
  if (!Array.isArray(containers) || containers.length === 0) {
    throw new InputError(INPUT, `'${path}' has no "containerDefinitions"; ECS needs at least one`)
  }
  return { input: input as unknown as RegisterTaskDefinitionCommandInput, ignored, reservedTags }
}

/** The part of a service the family guard needs (an `EcsServices` view fits). */
export interface FamilyHolder {
  readonly name: string
  readonly family: string
}

/**
 * Refuses a task definition of another family than the pair runs: one wrong path in a workflow
 * would otherwise put a different application behind the load balancer. A pair whose services
 * already run different families has no single family to compare with, so it passes.
 */
export function checkFamily(
  newFamily: string,
  idle: FamilyHolder,
  live: FamilyHolder,
  allowChange: boolean
): void {
  if (newFamily === idle.family || idle.family !== live.family || allowChange) return
  throw new InputError(
    INPUT,
    `its family '${newFamily}' differs from '${idle.family}', which both '${idle.name}' and ` +
      `'${live.name}' run. If this change of family is intended, set '${Input.allowFamilyChange}: true'`
  )
}
