/**
 * Test traffic before production traffic (`test-listener-rules` and the 0% stage): the plan, the
 * engine's order of writes, the drift check, pre-flight and the `test-service` output.
 */
import { describe, expect, it } from '@jest/globals'
import { formatPlan, parsePlan } from '../../src/engine/plan.js'
import { checkFacts, type ServiceFacts } from '../../src/engine/preflight.js'
import { runRollout } from '../../src/engine/rollout.js'
import type { GroupPair, RuleView } from '../../src/engine/types.js'
import { readSettings } from '../../src/inputs/inputs.js'
import { testService, type RunEnd } from '../../src/github/report.js'
import { ruleWeights } from '../../src/modes/status.js'
import { FakeClock, FakeTraffic, GROUPS, deps, pass, spec, ScriptedGate } from './fakes.js'

const MIN = 60_000

/** Production rules in memory plus one test rule, recording every write in order. */
class RoutedTraffic extends FakeTraffic {
  test = { arn: 'test-rule', live: 100, idle: 0 }
  order: string[] = []
  override async read(): Promise<RuleView[]> {
    const views = await super.read()
    const t = this.test
    const test: RuleView = {
      arn: t.arn,
      kind: 'rule',
      forwardActions: 1,
      targets: [
        { arn: GROUPS.live, weight: t.live },
        { arn: GROUPS.idle, weight: t.idle }
      ],
      tags: {},
      test: true
    }
    return [...views, test]
  }
  async routeTests(_groups: GroupPair) {
    this.order.push('test:canary')
    Object.assign(this.test, { live: 0, idle: 100 })
  }
  override async shift(groups: GroupPair, tenths: number) {
    this.order.push(`shift:${tenths}`)
    await super.shift(groups, tenths)
  }
  override async restore() {
    this.order.push('restore')
    await super.restore()
    Object.assign(this.test, { live: 100, idle: 0 })
  }
}

describe('parsePlan: the 0% stage', () => {
  it('accepts 0 as the first stage, with a pause or a bake, and records it back the same', () => {
    const plan = parsePlan('0:pause,10,100', 5 * MIN)
    expect(plan.map(s => s.tenths)).toEqual([0, 100, 1000])
    expect(plan[0].bake).toEqual({ kind: 'pause' })
    expect(formatPlan(plan)).toBe('0:pause 10:5m 100:5m')
    expect(parsePlan(formatPlan(plan), 5 * MIN)).toEqual(plan)
    expect(parsePlan('0:5m 100', MIN)[0]).toEqual({
      tenths: 0,
      bake: { kind: 'bake', ms: 5 * MIN }
    })
  })

  it('refuses 0 anywhere but first', () => {
    expect(() => parsePlan('1,0,100', MIN)).toThrow(/'0': a 0 stage .* can only be the first stage/)
  })
})

describe('runRollout with test rules', () => {
  it('opens the test route before the first production write, then shifts production', async () => {
    const traffic = new RoutedTraffic()
    const clock = new FakeClock()
    const d = deps({ traffic, clock, gates: [new ScriptedGate('alarms', () => pass)] })
    const plan = parsePlan('10:1m,100:1m', MIN)
    const result = await runRollout(spec({ plan }), d.deps)
    expect(result.outcome.result).toBe('promoted')
    expect(traffic.order).toEqual(['test:canary', 'shift:100', 'shift:1000'])
  })

  it('0:pause moves no production weight: only the test rule reaches the canary', async () => {
    const traffic = new RoutedTraffic()
    const clock = new FakeClock()
    const d = deps({ traffic, clock })
    const result = await runRollout(spec({ plan: parsePlan('0:pause,10,100', MIN) }), d.deps)
    expect(result.outcome).toMatchObject({ result: 'paused', tenths: 0 })
    expect(traffic.order).toEqual(['test:canary'])
    expect(traffic.rules.map(r => [r.live, r.idle])).toEqual([
      [100, 0],
      [100, 0]
    ])
    expect(traffic.test).toMatchObject({ live: 0, idle: 100 })
    expect(d.phases.at(-1)).toEqual({ phase: 'paused', reason: 'paused at 0%' })
  })

  it('a promote from 0:pause goes on above 0 without writing the test rule again', async () => {
    const traffic = new RoutedTraffic()
    Object.assign(traffic.test, { live: 0, idle: 100 })
    const d = deps({ traffic, clock: new FakeClock(), gates: [new ScriptedGate('a', () => pass)] })
    const plan = parsePlan('0:pause,10:1m,100:1m', MIN)
    const result = await runRollout(spec({ plan, testTenths: 1000 }), d.deps)
    expect(result.outcome.result).toBe('promoted')
    expect(traffic.order).toEqual(['shift:100', 'shift:1000'])
    // Promoted: the test rule points at the new live service, as production does.
    expect(traffic.test).toMatchObject({ live: 0, idle: 100 })
  })

  it('a 0% bake reads the gates, and a failing one puts the test rule back on live', async () => {
    const traffic = new RoutedTraffic()
    const gate = new ScriptedGate('web-5xx', (_now, read) =>
      read < 1 ? pass : { verdict: 'fail', reason: 'web-5xx in ALARM', detail: 'web-5xx ALARM' }
    )
    const d = deps({ traffic, clock: new FakeClock(), gates: [gate] })
    const result = await runRollout(spec({ plan: parsePlan('0:5m,100', MIN) }), d.deps)
    expect(result.outcome.result).toBe('rolled-back')
    expect(gate.reads).toBeGreaterThanOrEqual(2)
    expect(traffic.order).toEqual(['test:canary', 'restore'])
    expect(traffic.test).toMatchObject({ live: 100, idle: 0 })
  })

  it('a test rule moved by someone else during a bake is drift: the run stops without writing', async () => {
    const traffic = new RoutedTraffic()
    const clock = new FakeClock()
    clock.onSleep = () => Object.assign(traffic.test, { live: 100, idle: 0 })
    const d = deps({ traffic, clock, gates: [new ScriptedGate('a', () => pass)] })
    const result = await runRollout(spec({ plan: parsePlan('10:1m,100', MIN) }), d.deps)
    expect(result.outcome.result).toBe('paused')
    expect(result.outcome.tenths).toBe(100)
    expect(result.outcome.reason).toMatch(/on test rule test-rule \(expected 100%\)/)
    expect(traffic.order).toEqual(['test:canary', 'shift:100'])
  })
})

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012'
const RULE = `${ELB}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`
const TEST_RULE = `${ELB}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/1111b2d02a6cabee`
const BLUE_TG = `${ELB}:targetgroup/web-blue/73e2d6bc24d8a067`
const GREEN_TG = `${ELB}:targetgroup/web-green/943f017f100becff`
const OTHER_TG = `${ELB}:targetgroup/web-other/0000f017f100becf`

function service(name: string, tg: string): ServiceFacts {
  return {
    name,
    status: 'ACTIVE',
    controller: 'ECS',
    strategy: 'ROLLING',
    targetGroups: [tg],
    desiredCount: 2,
    taskDefinition: `${ELB.replace('elasticloadbalancing', 'ecs')}:task-definition/web:7`,
    family: 'web'
  }
}

function view(arn: string, weights: Record<string, number>, test = false): RuleView {
  return {
    arn,
    kind: 'rule',
    forwardActions: 1,
    targets: Object.entries(weights).map(([tg, weight]) => ({ arn: tg, weight })),
    tags: {},
    ...(test ? { test } : {})
  }
}

function check(rules: RuleView[], recordedLive?: string, lenient = false) {
  const services = [service('web-blue', BLUE_TG), service('web-green', GREEN_TG)] as const
  return checkFacts({ services, rules, alarmNames: [], alarms: [] }, recordedLive, lenient)
}

describe('pre-flight over test rules', () => {
  it('refuses a test rule that is also a production rule, naming both inputs', () => {
    const rules = [view(RULE, { [BLUE_TG]: 100, [GREEN_TG]: 0 })]
    expect(() => check([...rules, { ...rules[0], test: true }])).toThrow(
      /is in both 'listener-rules' and 'test-listener-rules'.*Remove it from one of the two inputs/
    )
  })

  it('refuses a test rule that does not forward to the pair, naming the input', () => {
    const rules = [
      view(RULE, { [BLUE_TG]: 100, [GREEN_TG]: 0 }),
      view(TEST_RULE, { [OTHER_TG]: 1 }, true)
    ]
    expect(() => check(rules)).toThrow(
      `test rule ${TEST_RULE} ('test-listener-rules') forwards to ${OTHER_TG}`
    )
  })

  it('reads the production share off the production rules and the test route apart', () => {
    const rules = [
      view(RULE, { [BLUE_TG]: 100, [GREEN_TG]: 0 }),
      view(TEST_RULE, { [BLUE_TG]: 0, [GREEN_TG]: 100 }, true)
    ]
    expect(check(rules, 'web-blue')).toMatchObject({ tenths: 0, testTenths: 1000 })
    expect(check(rules, 'web-blue', true)).toMatchObject({ tenths: 0, testTenths: 1000 })
    rules[1] = view(TEST_RULE, { [BLUE_TG]: 100, [GREEN_TG]: 0 }, true)
    expect(check(rules, 'web-blue')).toMatchObject({ tenths: 0, testTenths: 0 })
    // Before a deploy, a test rule left on the canary is a split like any other.
    rules[1] = view(TEST_RULE, { [BLUE_TG]: 0, [GREEN_TG]: 100 }, true)
    expect(() => check(rules)).toThrow(/split|disagree/i)
  })
})

describe('inputs: test-listener-rules and the 0 stage', () => {
  const read = (inputs: Record<string, string>) => {
    const all: Record<string, string> = {
      cluster: 'web',
      services: 'web-blue web-green',
      'listener-rules': RULE,
      ...inputs
    }
    return readSettings(name => all[name] ?? '', { AWS_REGION: 'us-east-1' })
  }

  it('reads the test rules, none by default', () => {
    expect(read({}).testListenerRules).toEqual([])
    expect(read({ 'test-listener-rules': TEST_RULE, stages: '0:pause 100' })).toMatchObject({
      testListenerRules: [TEST_RULE]
    })
  })

  it('refuses a 0 stage without test rules, and a test rule that is no ARN', () => {
    expect(() => read({ stages: '0:pause 100' })).toThrow(
      /Input 'stages': '0:pause 100' starts with a 0 stage.*'test-listener-rules'/
    )
    expect(() => read({ 'test-listener-rules': 'nope' })).toThrow(
      /Input 'test-listener-rules': 'nope' is not an Application Load Balancer/
    )
  })
})

describe('testService: the test-service output', () => {
  const end = (result: RunEnd['outcome']['result'], testOpen?: boolean): RunEnd => ({
    outcome: { result, tenths: 0, reason: '', liveService: 'web-blue', idleService: 'web-green' },
    failed: false,
    settled: true,
    ...(testOpen ? { testOpen } : {})
  })

  it('names the canary while paused, the live service after any other ending', () => {
    expect(testService([TEST_RULE], end('paused'))).toBe('web-green')
    expect(testService([TEST_RULE], end('promoted'))).toBe('web-blue')
    expect(testService([TEST_RULE], end('rolled-back'))).toBe('web-blue')
    expect(testService([TEST_RULE], end('unchanged'))).toBe('web-blue')
    expect(testService([TEST_RULE], end('unchanged', true))).toBe('web-green')
    expect(testService([TEST_RULE], end('restore-failed'))).toBe('')
    expect(testService([], end('paused'))).toBe('')
  })
})

describe('mode: status over test rules', () => {
  it('labels a test rule as one, so all on the canary does not read as a split', () => {
    const rules = [
      view(RULE, { [BLUE_TG]: 100, [GREEN_TG]: 0 }),
      view(TEST_RULE, { [BLUE_TG]: 0, [GREEN_TG]: 100 }, true)
    ]
    const pair = check(rules, 'web-blue')
    expect(ruleWeights(rules[0], pair)).not.toHaveProperty('note')
    expect(ruleWeights(rules[1], pair)).toEqual({
      arn: TEST_RULE,
      weights: [
        ['web-blue', 0],
        ['web-green', 100]
      ],
      note: 'test rule'
    })
  })
})
