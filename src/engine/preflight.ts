/**
 * Behaviour 1: every check before the first write, over what the adapters read. Pure: it
 * collects every problem at once (a user fixing one thing per run is a slow loop) and works out
 * which service is live.
 */
import { Input } from '../names.js'
import { formatDuration } from './plan.js'
import { describeShare } from './rollout.js'
import { PreflightError, RulesDisagree, SplitTraffic } from './refusals.js'
import type { AlarmView, GroupPair, Plan, RuleView, Tenths } from './types.js'
import { rollbackTo, runWith } from './wayout.js'

export { PreflightError, RulesDisagree, SplitTraffic }

/** The fields of an ECS service the checks look at. */
export interface ServiceFacts {
  readonly name: string
  readonly status: string
  readonly controller: string
  readonly strategy: string
  readonly targetGroups: readonly string[]
  readonly desiredCount: number
  readonly taskDefinition: string
  readonly family: string
}

/** Everything read before the first write. */
export interface Facts {
  readonly services: readonly [ServiceFacts, ServiceFacts]
  readonly rules: readonly RuleView[]
  readonly alarmNames: readonly string[]
  readonly alarms: readonly AlarmView[]
  /** The `alarms` input's one line, read as several names, when an alarm has it as its name. */
  readonly alarmsLine?: string
  /** `insufficient-data`: with `alarm`, an alarm without data is refused like one in ALARM. */
  readonly insufficientData?: 'ok' | 'alarm'
}

/** The pair as the rules show it now. */
export interface PairState {
  readonly live: ServiceFacts
  readonly idle: ServiceFacts
  readonly groups: GroupPair
  /** The idle group's share, the same on every production rule. */
  readonly tenths: Tenths
  /**
   * Where the test rules (`test-listener-rules`) send traffic: 1000 when any is off live (the
   * test route to the canary is open), 0 (or unset) when all are on live or there are none.
   */
  readonly testTenths?: Tenths
}

/**
 * Checks the services, the rules and the alarms; returns the pair's roles or throws. Without
 * `recordedLive` the live service is the one holding all traffic (deploy); with it, the roles
 * are the recorded ones and the idle share is read off the rules (promote, rollback). `lenient`
 * (rollback, status) accepts rules that disagree: the share is then the largest one found.
 */
export function checkFacts(facts: Facts, recordedLive?: string, lenient = false): PairState {
  const problems = [...serviceProblems(facts.services), ...alarmProblems(facts)]
  const groups = attachedGroups(facts.services, problems)
  if (!groups) throw new PreflightError(problems)
  problems.push(...ruleProblems(facts.rules, groups), ...testRuleProblems(facts.rules))
  if (problems.length > 0) throw new PreflightError(problems)
  // Before a rollout the test rules are on live like the others: all of them settle the roles.
  if (recordedLive === undefined) return rolesFromWeights(facts.services, facts.rules, groups)
  const production = facts.rules.filter(r => !r.test)
  const pair = recordedRoles(facts.services, production, recordedLive, lenient)
  const tests = facts.rules.filter(r => r.test).map(r => describeShare(r, pair.groups))
  // A test rule forwarding anything to the canary, or nothing at all, needs the restore.
  if (tests.length === 0) return pair
  return { ...pair, testTenths: tests.some(t => t.tenths !== 0) ? 1000 : 0 }
}

/** A test rule must be a rule of its own: one that production traffic also takes is refused. */
function testRuleProblems(rules: readonly RuleView[]): string[] {
  const production = new Set(rules.filter(r => !r.test).map(r => r.arn))
  return rules
    .filter(r => r.test && production.has(r.arn))
    .map(
      r =>
        `${r.arn} is in both '${Input.listenerRules}' and '${Input.testListenerRules}': a test rule sends all of its traffic to the canary before any production weight moves, so it must be a rule of its own that only test requests match (a header such as X-Canary: 1, a host, or a test port). Remove it from one of the two inputs`
    )
}

function recordedRoles(
  services: readonly [ServiceFacts, ServiceFacts],
  rules: readonly RuleView[],
  recordedLive: string,
  lenient: boolean
): Omit<PairState, 'testTenths'> {
  const live = services.find(s => s.name === recordedLive)
  const idle = services.find(s => s.name !== recordedLive)
  if (!live || !idle) {
    throw new PreflightError([
      `the rules record '${recordedLive}' as the live service, which is not one of ${services.map(s => s.name).join(' and ')} (input 'services'); ${rollbackTo(services.map(s => s.name))}`
    ])
  }
  const groups = { live: live.targetGroups[0], idle: idle.targetGroups[0] }
  const shares = rules.map(r => ({ rule: r, share: describeShare(r, groups) }))
  const first = shares[0].share.tenths
  if (lenient) {
    // A rule that forwards nothing at all needs the restore as much as one at 100%.
    const most = Math.max(...shares.map(s => (s.share.tenths < 0 ? 1000 : s.share.tenths)))
    return { live, idle, groups, tenths: most }
  }
  if (shares.some(s => s.share.tenths !== first || s.share.tenths < 0)) {
    throw new RulesDisagree([
      `the rules disagree on ${idle.name}'s share (${shares.map(s => `${s.share.text} on ${s.rule.arn}`).join('; ')}); ${runWith({ mode: 'rollback' }, `to put them back in step, all on ${live.name}`)}`
    ])
  }
  return { live, idle, groups, tenths: first }
}

function serviceProblems(services: readonly ServiceFacts[]): string[] {
  const problems: string[] = []
  for (const s of services) {
    if (s.status !== 'ACTIVE') problems.push(`service ${s.name} is ${s.status}, not ACTIVE`)
    if (s.controller !== 'ECS') {
      problems.push(
        `service ${s.name} uses the ${s.controller} deployment controller; its traffic is managed by ${s.controller === 'CODE_DEPLOY' ? 'CodeDeploy' : 'another tool'}, and two tools moving the same weights fight. Use a service with the ECS (rolling) deployment controller`
      )
    } else if (s.strategy !== 'ROLLING') {
      problems.push(
        `service ${s.name} uses ECS's own ${s.strategy} deployment strategy, which moves the listener weights itself; switch it to ROLLING so only ecs-canary moves them`
      )
    }
    if (s.targetGroups.length !== 1) {
      problems.push(
        `service ${s.name} is attached to ${s.targetGroups.length} target groups (${s.targetGroups.join(', ') || 'none'}); each service of the pair needs exactly one`
      )
    }
  }
  return problems
}

/** The pair's two groups; undefined, with the reason in `problems`, when there are not two. */
function attachedGroups(
  services: readonly [ServiceFacts, ServiceFacts],
  problems: string[]
): [string, string] | undefined {
  // Already a problem of serviceProblems.
  if (services.some(s => s.targetGroups.length !== 1)) return undefined
  const [a, b] = services.map(s => s.targetGroups[0])
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent for real data: with exactly one group each, only an empty ARN is falsy, and ECS reports none
  if (!a || !b) return undefined
  if (a === b) {
    const [live, idle] = services.map(s => s.name)
    problems.push(
      `services ${live} and ${idle} are both attached to target group ${a}; the weights move traffic between two target groups, so each service of the pair needs its own: attach ${idle} to a second target group and list both in the rules' forward`
    )
    return undefined
  }
  return [a, b]
}

function ruleProblems(rules: readonly RuleView[], groups: [string, string]): string[] {
  const problems: string[] = []
  for (const rule of rules) {
    // A test rule is named as one, with its input, so the fix is found in the right list.
    const name = rule.test ? `test rule ${rule.arn} ('${Input.testListenerRules}')` : rule.arn
    if (rule.forwardActions === 0 && rule.kind === 'listener') {
      problems.push(
        `the default action of listener ${name} is not a forward; pass the ARN of the listener rule that forwards to the pair instead (list them with: aws elbv2 describe-rules --listener-arn ${rule.arn})`
      )
      continue
    }
    if (rule.forwardActions !== 1) {
      problems.push(
        `${name} has ${rule.forwardActions} forward actions; it needs exactly one that forwards to the pair's target groups`
      )
      continue
    }
    const strangers = rule.targets.filter(t => !groups.includes(t.arn))
    if (strangers.length > 0) {
      problems.push(
        `${name} forwards to ${strangers.map(t => t.arn).join(', ')}, which is not the target group of either service; it must forward only to ${groups.join(' and ')}`
      )
    }
  }
  return problems
}

/** Live is the group holding all traffic on every rule; a split or a disagreement is refused. */
function rolesFromWeights(
  services: readonly [ServiceFacts, ServiceFacts],
  rules: readonly RuleView[],
  groups: [string, string]
): PairState {
  const weightOn = (rule: RuleView, arn: string) =>
    rule.targets.find(t => t.arn === arn)?.weight ?? 0
  const live0 = rules.every(r => weightOn(r, groups[0]) > 0 && weightOn(r, groups[1]) === 0)
  const live1 = rules.every(r => weightOn(r, groups[1]) > 0 && weightOn(r, groups[0]) === 0)
  if (live0 || live1) {
    const [live, idle] = live0 ? [services[0], services[1]] : [services[1], services[0]]
    const pair = { live: live.targetGroups[0], idle: idle.targetGroups[0] }
    return { live, idle, groups: pair, tenths: 0 }
  }
  throw new SplitTraffic(services, rules, groups)
}

/** The words of one line failed, but the whole line names an alarm: say so, and the fix. */
function oneLineProblem(line: string, words: readonly string[], missing: readonly string[]) {
  const quoted = (names: readonly string[]) => names.map(n => `'${n}'`).join(', ')
  return (
    `input 'alarms' is one line, so it was read as ${words.length} names separated by spaces or commas (${quoted(words)}), and ${quoted(missing)} ${missing.length > 1 ? 'do' : 'does'} not exist; ` +
    `but an alarm named '${line}' does. Put each alarm name on a line of its own:\n` +
    `alarms: |\n  ${line}`
  )
}

function alarmProblems(facts: Facts): string[] {
  const found = new Set(facts.alarms.map(a => a.name))
  const missing = facts.alarmNames.filter(n => !found.has(n))
  const problems =
    facts.alarmsLine && missing.length > 0
      ? [oneLineProblem(facts.alarmsLine, facts.alarmNames, missing)]
      : missing.map(n => `alarm '${n}' does not exist in this account and region (input 'alarms')`)
  for (const alarm of facts.alarms) {
    if (alarm.state === 'ALARM') {
      problems.push(
        `alarm '${alarm.name}' is already in ALARM (${alarm.reason}); a rollout would roll back at once. Fix what it reports first`
      )
    } else if (alarm.state === 'INSUFFICIENT_DATA' && facts.insufficientData === 'alarm') {
      // The same policy the gate applies while baking: refused now rather than rolled back
      // the moment the first stage is read.
      problems.push(
        `alarm '${alarm.name}' is INSUFFICIENT_DATA${alarm.reason ? ` (${alarm.reason})` : ''}, which counts as ALARM with insufficient-data: alarm; a rollout would roll back at once. Wait until the alarm has data (OK), or set insufficient-data: ok to count missing data as OK`
      )
    }
  }
  return problems
}

/** Warnings that do not stop a rollout but deserve a look. */
export function planWarnings(
  plan: Plan,
  alarms: readonly AlarmView[],
  rules: readonly RuleView[]
): string[] {
  const warnings: string[] = []
  for (const rule of rules) {
    if (rule.stickySeconds) {
      warnings.push(
        `${rule.arn} has target-group stickiness for ${formatDuration(rule.stickySeconds * 1000)}: clients that reached the canary stay on it for up to that long after a rollback, whatever the weights say`
      )
    }
  }
  const shortest = Math.min(
    ...plan.map(s => (s.bake.kind === 'bake' ? s.bake.ms : Infinity)),
    Infinity
  )
  for (const alarm of alarms) {
    if (alarm.windowMs && shortest < alarm.windowMs) {
      warnings.push(
        `alarm '${alarm.name}' needs ${formatDuration(alarm.windowMs)} (period × evaluation periods) to go off, longer than the shortest bake (${formatDuration(shortest)}): a stage can pass before it could see anything`
      )
    }
  }
  return warnings
}
