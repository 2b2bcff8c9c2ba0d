/**
 * The only reader of the action's inputs. Parses everything at the edge into one typed, validated
 * settings object; a bad value throws an `InputError` naming the input and the value, before any
 * AWS call is made.
 */
import { DEFAULT_STAGES, formatPlan, InputError, parseDuration, parsePlan } from '../engine/plan.js'
import { Input } from '../names.js'
import { DEFAULT_BOUNDS, type AnalysisBounds } from '../engine/analysis.js'
import {
  parseAnalysisSwitch,
  parseErrorBound,
  parseMinRequests,
  parseRatio
} from './analysis-inputs.js'
import { alarmNames, atLeast, pollInterval, rollbackTarget } from './input-rules.js'
import {
  required,
  unique,
  pair,
  listenerRules,
  roleArn,
  duration,
  oneOf,
  onOff,
  headroom,
  minTasks,
  bool
} from './input-parsers.js'
import type { Mode, Plan } from '../engine/types.js'
import type { FollowPolicy } from '../engine/capacity.js'

/** Everything the action was asked to do, parsed. */
export interface Settings {
  readonly cluster: string
  /** The pair, in the order given. */
  readonly services: readonly [string, string]
  readonly listenerRules: readonly string[]
  /** `test-listener-rules`: all on the canary while a rollout runs; empty when none. */
  readonly testListenerRules: readonly string[]
  readonly taskDefinition?: string
  /** The plan from `stages`; `undefined` in promote mode when empty (use the recorded plan). */
  readonly plan?: Plan
  readonly bakeMs: number
  readonly alarms: readonly string[]
  /**
   * The `alarms` input when it was one line read as several names: preflight asks whether the
   * whole line names an alarm, to say so in the refusal.
   */
  readonly alarmsLine?: string
  readonly pollMs: number
  readonly insufficientData: 'ok' | 'alarm'
  readonly mode: Mode
  readonly canaryCapacity: 'match' | 'keep' | 'follow'
  readonly afterPromotion: 'keep' | 'scale-down'
  readonly serviceTimeoutMs: number
  readonly allowFamilyChange: boolean
  readonly analysis: { readonly enabled: boolean; readonly bounds: AnalysisBounds }
  readonly statusContext?: string
  readonly githubToken: string
  readonly dryRun: boolean
  readonly region: string
  /** `rollback` mode: the service to put all traffic on, whatever the record says. */
  readonly to?: string
  /** Let a deploy without `task-definition` put the revision just rolled back on traffic again. */
  readonly allowRedeploy: boolean
  /** `health-gate`: read the canary's target health and ECS service while baking. */
  readonly healthGate: boolean
  /** How long a stage waits past its bake for late ALB metrics (3 minutes). */
  readonly lateDataMs: number
  /** `canary-headroom` and `canary-min-tasks`, used with `canary-capacity: follow`. */
  readonly follow: FollowPolicy
  /** `rollback-now`: move traffic before the old service is scaled back up. */
  readonly rollbackNow: boolean
  /** `reconcile`: how old a heartbeat must be before its rollout counts as abandoned. */
  readonly staleAfterMs: number
  /** `reconcile`: roll back a pause older than this; unset: pauses may last. */
  readonly maxPauseMs?: number
  /** An IAM role the action assumes itself with the runner's OIDC token. */
  readonly roleToAssume?: string
  /** `audience`: the OIDC token's audience for `role-to-assume` (set with it only). */
  readonly audience?: string
}

/** The environment variable that shortens the late-data wait in tests. */
export const LATE_DATA_ENV = 'ECS_CANARY_LATE_DATA_WAIT'

/** Reads one raw input by name (`core.getInput` in the action, a map in tests). */
export type InputReader = (name: string) => string

/** Parses and validates every input. `env` supplies the region. */
export function readSettings(get: InputReader, env: NodeJS.ProcessEnv = process.env): Settings {
  const text = (name: string) => get(name).trim()
  const mode = oneOf(Input.mode, text(Input.mode) || 'deploy', [
    'deploy',
    'promote',
    'rollback',
    'status',
    'reconcile'
  ] as const)
  const bakeMs = duration(text, Input.bakeTime, '5m')
  const stagesText = text(Input.stages)
  const plan =
    stagesText || mode === 'deploy'
      ? recordable(parsePlan(stagesText || DEFAULT_STAGES, bakeMs, Input.stages))
      : undefined
  // Raw: a newline anywhere (a YAML block scalar keeps the last one) means one name a line.
  const alarms = alarmNames(get(Input.alarms))
  const region = (env.AWS_REGION || env.AWS_DEFAULT_REGION || '').trim()
  if (!region) {
    throw new InputError(
      'AWS_REGION',
      'no region: set AWS_REGION (aws-actions/configure-aws-credentials does this with aws-region)'
    )
  }
  const taskDefinition = text(Input.taskDefinition)
  const analysisOn = parseAnalysisSwitch(text(Input.analysis), alarms.length > 0, Input.analysis)
  const healthGate = onOff(Input.healthGate, text(Input.healthGate) || 'on')
  const statusContext = text(Input.statusContext)
  const services = pair(required(text, Input.services))
  const to = rollbackTarget(text(Input.to), mode, services)
  const maxPause = text(Input.maxPause)
  const roleToAssume = roleArn(text(Input.roleToAssume))
  const testRules = text(Input.testListenerRules)
  const testListenerRules = testRules ? listenerRules(testRules, Input.testListenerRules) : []
  if (plan?.[0].tenths === 0 && testListenerRules.length === 0) {
    throw new InputError(
      Input.stages,
      `'${stagesText}' starts with a 0 stage, which sends no production traffic and is for test traffic only: name the rules that carry it in '${Input.testListenerRules}' (a rule matching a header, a host or a test port, forwarding to the pair), or start at 0.1 or more`
    )
  }
  const audience = text(Input.audience) || defaultAudience(roleToAssume)
  return {
    cluster: required(text, Input.cluster),
    services,
    listenerRules: listenerRules(required(text, Input.listenerRules)),
    testListenerRules,
    ...(taskDefinition ? { taskDefinition } : {}),
    ...(plan ? { plan } : {}),
    bakeMs,
    alarms: unique(Input.alarms, alarms),
    ...(alarms.length > 1 && !get(Input.alarms).includes('\n')
      ? { alarmsLine: text(Input.alarms).trim() }
      : {}),
    pollMs: pollInterval(duration(text, Input.pollInterval, '5s'), env),
    insufficientData: oneOf(Input.insufficientData, text(Input.insufficientData) || 'ok', [
      'ok',
      'alarm'
    ] as const),
    mode,
    canaryCapacity: oneOf(Input.canaryCapacity, text(Input.canaryCapacity) || 'match', [
      'match',
      'keep',
      'follow'
    ] as const),
    afterPromotion: oneOf(Input.afterPromotion, text(Input.afterPromotion) || 'keep', [
      'keep',
      'scale-down'
    ] as const),
    serviceTimeoutMs: duration(text, Input.serviceTimeout, '15m'),
    allowFamilyChange: bool(Input.allowFamilyChange, text(Input.allowFamilyChange)),
    analysis: {
      enabled: analysisOn,
      bounds: {
        ...parseErrorBound(text(Input.maxErrorRate), Input.maxErrorRate),
        latencyRatio: parseRatio(
          Input.maxLatency,
          text(Input.maxLatency),
          DEFAULT_BOUNDS.latencyRatio
        ),
        minRequests: parseMinRequests(text(Input.minRequests), Input.minRequests)
      }
    },
    ...(statusContext ? { statusContext } : {}),
    githubToken: text(Input.githubToken),
    dryRun: bool(Input.dryRun, text(Input.dryRun)),
    region,
    ...(to ? { to } : {}),
    allowRedeploy: bool(Input.allowRedeploy, text(Input.allowRedeploy)),
    healthGate: watched(mode, alarms, analysisOn, healthGate),
    // Not an input: ALB metrics are 1-2 minutes late everywhere, so 3 minutes fits every user.
    // Tests, whose stand-in delays metrics by its own rule, shorten it through the environment.
    lateDataMs: parseDuration(LATE_DATA_ENV, (env[LATE_DATA_ENV] ?? '').trim() || '3m'),
    follow: {
      headroomTenths: headroom(text(Input.canaryHeadroom)),
      minTasks: minTasks(text(Input.canaryMinTasks))
    },
    rollbackNow: bool(Input.rollbackNow, text(Input.rollbackNow)),
    staleAfterMs: atLeast(Input.staleAfter, duration(text, Input.staleAfter, '3m'), 120_000),
    ...(maxPause ? { maxPauseMs: parseDuration(Input.maxPause, maxPause) } : {}),
    ...(roleToAssume ? { roleToAssume, audience } : {})
  }
}

/**
 * The audience STS expects in the OIDC token: `sts.amazonaws.com`, and `sts.amazonaws.com.cn`
 * for a role in the China partition (configure-aws-credentials' `audience` input documents the
 * same default and the China value).
 */
export function defaultAudience(roleArn: string): string {
  return roleArn.startsWith('arn:aws-cn:') ? 'sts.amazonaws.com.cn' : 'sts.amazonaws.com'
}

/**
 * A rollout nobody watches is refused before anything is read or written: with no alarms,
 * analysis off and the health gate off, nothing could ever roll it back. Only the modes that
 * move traffic forward need a gate.
 */
function watched(mode: Mode, alarms: readonly string[], analysis: boolean, health: boolean) {
  if ((mode === 'deploy' || mode === 'promote') && alarms.length === 0 && !analysis && !health) {
    throw new InputError(
      Input.healthGate,
      `'off', with no '${Input.alarms}' and '${Input.analysis}: off', leaves the rollout unwatched: nothing would roll it back. Name CloudWatch alarms in '${Input.alarms}', set '${Input.analysis}: on', or set '${Input.healthGate}: on'`
    )
  }
  return health
}

/** The plan is recorded in a tag (at most 256 characters) so that `promote` can read it back. */
function recordable(plan: Plan): Plan {
  const text = formatPlan(plan)
  if (text.length > 256) {
    throw new InputError(
      Input.stages,
      `the plan is too long to record on the rules (${text.length} characters as '${text.slice(0, 40)}…', at most 256): use fewer stages`
    )
  }
  return plan
}
