import { describe, expect, it } from '@jest/globals'
import {
  checkFacts,
  planWarnings,
  PreflightError,
  RulesDisagree,
  SplitTraffic,
  type Facts,
  type ServiceFacts
} from '../../src/engine/preflight.js'
import type { AlarmView, Plan, RuleView } from '../../src/engine/types.js'

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012'
const LISTENER = `${ELB}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`
const RULE = `${LISTENER.replace(':listener/', ':listener-rule/')}/9683b2d02a6cabee`
const RULE2 = `${LISTENER.replace(':listener/', ':listener-rule/')}/1111b2d02a6cabee`
const BLUE_TG = `${ELB}:targetgroup/web-blue/73e2d6bc24d8a067`
const GREEN_TG = `${ELB}:targetgroup/web-green/943f017f100becff`
const OTHER_TG = `${ELB}:targetgroup/web-other/0000f017f100becf`
const THIRD_TG = `${ELB}:targetgroup/web-third/1111f017f100becf`

const ROLLBACK_EITHER =
  'run with `mode: rollback` and `to: web-blue` to put all traffic on web-blue, or run with `mode: rollback` and `to: web-green` to put it all on web-green'

function service(name: string, tgs: string[], extra: Partial<ServiceFacts> = {}): ServiceFacts {
  return {
    name,
    status: 'ACTIVE',
    controller: 'ECS',
    strategy: 'ROLLING',
    targetGroups: tgs,
    desiredCount: 2,
    taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
    family: 'web',
    ...extra
  }
}

const blue = (extra: Partial<ServiceFacts> = {}) => service('web-blue', [BLUE_TG], extra)
const green = (extra: Partial<ServiceFacts> = {}) => service('web-green', [GREEN_TG], extra)

/** A rule with one forward action to the given groups and weights. */
function rule(
  weights: Record<string, number>,
  arn = RULE,
  extra: Partial<RuleView> = {}
): RuleView {
  return {
    arn,
    kind: 'rule',
    forwardActions: 1,
    targets: Object.entries(weights).map(([tg, weight]) => ({ arn: tg, weight })),
    tags: {},
    ...extra
  }
}

const at = (blueWeight: number, greenWeight: number, arn = RULE) =>
  rule({ [BLUE_TG]: blueWeight, [GREEN_TG]: greenWeight }, arn)

function facts(rules: RuleView[], more: Partial<Facts> = {}): Facts {
  return { services: [blue(), green()], rules, alarmNames: [], alarms: [], ...more }
}

function alarm(name: string, state: AlarmView['state'], reason = '', windowMs?: number): AlarmView {
  return { name, type: 'metric', state, reason, windowMs }
}

/** The refusal checkFacts throws, for asserting on its class and fields. */
function refusal(f: Facts, recordedLive?: string, lenient = false): Error {
  try {
    checkFacts(f, recordedLive, lenient)
  } catch (e) {
    return e as Error
  }
  throw new Error('checkFacts did not refuse')
}

function problemsOf(f: Facts, recordedLive?: string): readonly string[] {
  const e = refusal(f, recordedLive)
  expect(e).toBeInstanceOf(PreflightError)
  expect(e.name).toBe('PreflightError')
  return (e as PreflightError).problems
}

describe('checkFacts: the services', () => {
  it('refuses a service that is not ACTIVE, naming its status', () => {
    const f = { ...facts([at(100, 0)]), services: [blue({ status: 'DRAINING' }), green()] as const }
    expect(problemsOf(f)).toEqual(['service web-blue is DRAINING, not ACTIVE'])
  })

  it('refuses the CodeDeploy controller and any other non-ECS controller, naming who moves traffic', () => {
    const f = {
      ...facts([at(100, 0)]),
      services: [blue({ controller: 'CODE_DEPLOY' }), green({ controller: 'EXTERNAL' })] as const
    }
    expect(problemsOf(f)).toEqual([
      'service web-blue uses the CODE_DEPLOY deployment controller; its traffic is managed by CodeDeploy, and two tools moving the same weights fight. Use a service with the ECS (rolling) deployment controller',
      'service web-green uses the EXTERNAL deployment controller; its traffic is managed by another tool, and two tools moving the same weights fight. Use a service with the ECS (rolling) deployment controller'
    ])
  })

  it("refuses ECS's own blue/green strategy on an ECS-controlled service", () => {
    const f = {
      ...facts([at(100, 0)]),
      services: [blue(), green({ strategy: 'BLUE_GREEN' })] as const
    }
    expect(problemsOf(f)).toEqual([
      "service web-green uses ECS's own BLUE_GREEN deployment strategy, which moves the listener weights itself; switch it to ROLLING so only ecs-canary moves them"
    ])
  })

  it('refuses a service with no or several target groups, and does not check the rules without a pair', () => {
    // The rule forwards to a stranger: with no pair of groups to compare with, it is not judged.
    const f = {
      ...facts([rule({ [THIRD_TG]: 100 })]),
      services: [service('web-blue', [BLUE_TG, OTHER_TG]), service('web-green', [])] as const
    }
    expect(problemsOf(f)).toEqual([
      `service web-blue is attached to 2 target groups (${BLUE_TG}, ${OTHER_TG}); each service of the pair needs exactly one`,
      'service web-green is attached to 0 target groups (none); each service of the pair needs exactly one'
    ])
  })

  it('does not judge the rules when only one service of the pair has several target groups', () => {
    const f = {
      ...facts([rule({ [THIRD_TG]: 100 })]),
      services: [service('web-blue', [BLUE_TG, OTHER_TG]), green()] as const
    }
    expect(problemsOf(f)).toEqual([
      `service web-blue is attached to 2 target groups (${BLUE_TG}, ${OTHER_TG}); each service of the pair needs exactly one`
    ])
    // The same when the other service of the pair is the one with two.
    const g = {
      ...facts([rule({ [THIRD_TG]: 100 })]),
      services: [blue(), service('web-green', [GREEN_TG, OTHER_TG])] as const
    }
    expect(problemsOf(g)).toHaveLength(1)
  })

  it('refuses a pair whose services share one target group, before reading any weights', () => {
    const f = {
      ...facts([rule({ [BLUE_TG]: 100 })]),
      services: [blue(), service('web-green', [BLUE_TG])] as const
    }
    const e = refusal(f)
    expect(e).toBeInstanceOf(PreflightError)
    expect(e).not.toBeInstanceOf(SplitTraffic)
    expect(e.message).toBe(
      `services web-blue and web-green are both attached to target group ${BLUE_TG}; the weights move traffic between two target groups, so each service of the pair needs its own: attach web-green to a second target group and list both in the rules' forward`
    )
  })

  it('lists every problem of every kind at once', () => {
    const f: Facts = {
      services: [blue({ status: 'DRAINING' }), green({ strategy: 'BLUE_GREEN' })],
      rules: [rule({ [BLUE_TG]: 100, [THIRD_TG]: 0 })],
      alarmNames: ['web-missing'],
      alarms: []
    }
    const e = refusal(f)
    expect((e as PreflightError).problems).toHaveLength(4)
    expect(e.message).toMatch(
      /^4 problems:\n {2}- service web-blue is DRAINING, not ACTIVE\n {2}- /
    )
  })
})

describe('checkFacts: the rules', () => {
  it('refuses a rule (not a listener) without a forward by its count of forward actions', () => {
    const none = { ...rule({}), forwardActions: 0 }
    expect(problemsOf(facts([none]))).toEqual([
      `${RULE} has 0 forward actions; it needs exactly one that forwards to the pair's target groups`
    ])
  })

  it('refuses a rule with two forward actions, and judges nothing more of it', () => {
    const two = { ...rule({ [BLUE_TG]: 100, [THIRD_TG]: 0 }), forwardActions: 2 }
    expect(problemsOf(facts([two]))).toEqual([
      `${RULE} has 2 forward actions; it needs exactly one that forwards to the pair's target groups`
    ])
  })

  it('refuses a listener default action that is not a forward, and judges nothing more of it', () => {
    const listener = {
      ...rule({ [THIRD_TG]: 1 }, LISTENER),
      kind: 'listener' as const,
      forwardActions: 0
    }
    expect(problemsOf(facts([listener]))).toEqual([
      `the default action of listener ${LISTENER} is not a forward; pass the ARN of the listener rule that forwards to the pair instead (list them with: aws elbv2 describe-rules --listener-arn ${LISTENER})`
    ])
  })

  it('names every target group a rule forwards to that belongs to neither service', () => {
    const stray = rule({ [BLUE_TG]: 100, [OTHER_TG]: 0, [THIRD_TG]: 0 })
    expect(problemsOf(facts([stray, at(100, 0, RULE2)]))).toEqual([
      `${RULE} forwards to ${OTHER_TG}, ${THIRD_TG}, which is not the target group of either service; it must forward only to ${BLUE_TG} and ${GREEN_TG}`
    ])
  })
})

describe('checkFacts: the alarms', () => {
  it('refuses a missing alarm and one already in ALARM', () => {
    const f = facts([at(100, 0)], {
      alarmNames: ['web-5xx', 'web-gone'],
      alarms: [alarm('web-5xx', 'ALARM', 'Threshold Crossed: 1 datapoint')]
    })
    expect(problemsOf(f)).toEqual([
      "alarm 'web-gone' does not exist in this account and region (input 'alarms')",
      "alarm 'web-5xx' is already in ALARM (Threshold Crossed: 1 datapoint); a rollout would roll back at once. Fix what it reports first"
    ])
  })

  it('says when one line read as several names is the name of an alarm that exists, with the fix', () => {
    const line = 'web 5xx (prod) [p99]'
    const words = ['web', '5xx', '(prod)', '[p99]']
    const f = facts([at(100, 0)], { alarmNames: words, alarms: [], alarmsLine: line })
    expect(problemsOf(f)).toEqual([
      `input 'alarms' is one line, so it was read as 4 names separated by spaces or commas ('web', '5xx', '(prod)', '[p99]'), and 'web', '5xx', '(prod)', '[p99]' do not exist; but an alarm named '${line}' does. Put each alarm name on a line of its own:\nalarms: |\n  ${line}`
    ])
    // Without such an alarm, each word is its own problem, as before.
    expect(problemsOf(facts([at(100, 0)], { alarmNames: words }))).toHaveLength(4)
  })

  it('refuses INSUFFICIENT_DATA only with insufficient-data: alarm, with the reason when there is one', () => {
    const alarms = [
      alarm('web-5xx', 'INSUFFICIENT_DATA', 'no datapoints'),
      alarm('web-latency', 'INSUFFICIENT_DATA'),
      alarm('web-ok', 'OK')
    ]
    const names = alarms.map(a => a.name)
    const tail =
      'which counts as ALARM with insufficient-data: alarm; a rollout would roll back at once. Wait until the alarm has data (OK), or set insufficient-data: ok to count missing data as OK'
    expect(
      problemsOf(facts([at(100, 0)], { alarmNames: names, alarms, insufficientData: 'alarm' }))
    ).toEqual([
      `alarm 'web-5xx' is INSUFFICIENT_DATA (no datapoints), ${tail}`,
      `alarm 'web-latency' is INSUFFICIENT_DATA, ${tail}`
    ])
    for (const insufficientData of ['ok', undefined] as const) {
      expect(
        checkFacts(facts([at(100, 0)], { alarmNames: names, alarms, insufficientData })).live.name
      ).toBe('web-blue')
    }
  })
})

describe('checkFacts: which service is live, from the weights (deploy)', () => {
  it('takes the service holding all traffic on every rule as live, whichever of the pair it is', () => {
    expect(checkFacts(facts([at(100, 0), at(1, 0, RULE2)]))).toEqual({
      live: blue(),
      idle: green(),
      groups: { live: BLUE_TG, idle: GREEN_TG },
      tenths: 0
    })
    expect(checkFacts(facts([at(0, 100), at(0, 7, RULE2)]))).toEqual({
      live: green(),
      idle: blue(),
      groups: { live: GREEN_TG, idle: BLUE_TG },
      tenths: 0
    })
  })

  it('refuses rules that each send all traffic to a different service as a split', () => {
    for (const rules of [
      [at(100, 0), at(0, 100, RULE2)],
      [at(0, 100), at(100, 0, RULE2)]
    ]) {
      const e = refusal(facts(rules))
      expect(e).toBeInstanceOf(SplitTraffic)
      expect((e as SplitTraffic).groups).toEqual([BLUE_TG, GREEN_TG])
    }
  })

  it('refuses a rule that forwards with no weight on either group as a split, not a live service', () => {
    const e = refusal(facts([at(0, 0)]))
    expect(e).toBeInstanceOf(SplitTraffic)
    expect(e.message).toBe(
      `traffic is split between web-blue and web-green (${RULE}: no traffic at all on web-green), so which one is live is not clear and no rollout can start. Choose the live one: ${ROLLBACK_EITHER}`
    )
  })
})

describe('checkFacts: the recorded roles (promote, rollback)', () => {
  it('reads the idle share off rules that agree', () => {
    expect(checkFacts(facts([at(50, 50), at(1, 1, RULE2)]), 'web-blue')).toEqual({
      live: blue(),
      idle: green(),
      groups: { live: BLUE_TG, idle: GREEN_TG },
      tenths: 500
    })
    expect(checkFacts(facts([at(100, 0), at(100, 0, RULE2)]), 'web-green').tenths).toBe(1000)
    expect(checkFacts(facts([at(100, 0), at(100, 0, RULE2)]), 'web-blue').tenths).toBe(0)
  })

  it('refuses rules that disagree, listing each share, and names the rollback that restores them', () => {
    const e = refusal(facts([at(95, 5), at(75, 25, RULE2)]), 'web-blue')
    expect(e).toBeInstanceOf(RulesDisagree)
    expect(e).toBeInstanceOf(PreflightError)
    expect(e.name).toBe('RulesDisagree')
    expect(e.message).toBe(
      `the rules disagree on web-green's share (5% (weights 5/95) on ${RULE}; 25% (weights 25/75) on ${RULE2}); run with \`mode: rollback\` to put them back in step, all on web-blue`
    )
  })

  it('refuses rules that forward no traffic at all even when they agree; a lenient check restores them', () => {
    const f = facts([at(0, 0), at(0, 0, RULE2)])
    const e = refusal(f, 'web-blue')
    expect(e).toBeInstanceOf(RulesDisagree)
    expect(e.message).toBe(
      `the rules disagree on web-green's share (no traffic at all on ${RULE}; no traffic at all on ${RULE2}); run with \`mode: rollback\` to put them back in step, all on web-blue`
    )
    expect(checkFacts(facts([at(0, 0)]), 'web-blue', true).tenths).toBe(1000)
    expect(checkFacts(facts([at(90, 10), at(0, 0, RULE2)]), 'web-blue', true).tenths).toBe(1000)
    expect(checkFacts(facts([at(90, 10), at(50, 50, RULE2)]), 'web-blue', true)).toEqual({
      live: blue(),
      idle: green(),
      groups: { live: BLUE_TG, idle: GREEN_TG },
      tenths: 500
    })
  })

  it('refuses a recorded live service that is not one of the pair, naming both ways out', () => {
    const e = refusal(facts([at(100, 0)]), 'web-red')
    expect(e).toBeInstanceOf(PreflightError)
    expect(e).not.toBeInstanceOf(RulesDisagree)
    expect(e.message).toBe(
      `the rules record 'web-red' as the live service, which is not one of web-blue and web-green (input 'services'); ${ROLLBACK_EITHER}`
    )
  })
})

describe('planWarnings', () => {
  const bake = (ms: number) => ({ kind: 'bake' as const, ms })
  const plan: Plan = [
    { tenths: 50, bake: bake(600_000) },
    { tenths: 250, bake: { kind: 'pause' } },
    { tenths: 500, bake: bake(300_000) },
    { tenths: 1000, bake: bake(900_000) }
  ]

  it('warns of target-group stickiness on each sticky rule, for how long', () => {
    const rules = [
      rule({ [BLUE_TG]: 100 }, RULE, { stickySeconds: 3600 }),
      rule({ [BLUE_TG]: 100 }, RULE2)
    ]
    expect(planWarnings(plan, [], rules)).toEqual([
      `${RULE} has target-group stickiness for 1h: clients that reached the canary stay on it for up to that long after a rollback, whatever the weights say`
    ])
    expect(planWarnings(plan, [], [rule({ [BLUE_TG]: 100 }, RULE, { stickySeconds: 0 })])).toEqual(
      []
    )
  })

  it('warns of an alarm slower than the shortest bake, and of no other', () => {
    const alarms = [
      alarm('web-slow', 'OK', '', 360_000),
      alarm('web-even', 'OK', '', 300_000),
      alarm('web-fast', 'OK', '', 60_000),
      { name: 'web-composite', type: 'composite' as const, state: 'OK' as const, reason: '' }
    ]
    expect(planWarnings(plan, alarms, [])).toEqual([
      "alarm 'web-slow' needs 6m (period × evaluation periods) to go off, longer than the shortest bake (5m): a stage can pass before it could see anything"
    ])
  })

  it('does not warn of slow alarms when every stage pauses', () => {
    const paused: Plan = [{ tenths: 1000, bake: { kind: 'pause' } }]
    expect(planWarnings(paused, [alarm('web-slow', 'OK', '', 360_000)], [])).toEqual([])
    expect(planWarnings([], [alarm('web-slow', 'OK', '', 360_000)], [])).toEqual([])
  })
})
