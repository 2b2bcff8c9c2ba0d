import { describe, expect, it } from '@jest/globals'
import { PreflightError, RulesDisagree, SplitTraffic } from '../../src/engine/refusals.js'
import type { RuleView } from '../../src/engine/types.js'

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012'
const RULE1 = `${ELB}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/1`
const RULE2 = `${ELB}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/2`
const BLUE_TG = `${ELB}:targetgroup/web-blue/73e2d6bc24d8a067`
const GREEN_TG = `${ELB}:targetgroup/web-green/943f017f100becff`
const GROUPS: [string, string] = [BLUE_TG, GREEN_TG]
const SERVICES = [{ name: 'web-blue' }, { name: 'web-green' }] as const

const ROLLBACK_EITHER =
  'run with `mode: rollback` and `to: web-blue` to put all traffic on web-blue, or run with `mode: rollback` and `to: web-green` to put it all on web-green'
const EVEN =
  ' Weights 1/1 are what ELB sets when a forward lists both groups without weights: write 100 and 0 explicitly, or let the rollback below do it.'

function rule(arn: string, ...targets: [string, number][]): RuleView {
  return {
    arn,
    kind: 'rule',
    forwardActions: 1,
    targets: targets.map(([tg, weight]) => ({ arn: tg, weight })),
    tags: {}
  }
}

describe('PreflightError', () => {
  it('is one problem as it stands', () => {
    const e = new PreflightError(['service web-blue is DRAINING, not ACTIVE'])
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('PreflightError')
    expect(e.message).toBe('service web-blue is DRAINING, not ACTIVE')
    expect(e.problems).toEqual(['service web-blue is DRAINING, not ACTIVE'])
  })

  it('is several problems as a counted list, one a line', () => {
    const e = new PreflightError(['first thing', 'second thing', 'third thing'])
    expect(e.message).toBe('3 problems:\n  - first thing\n  - second thing\n  - third thing')
    expect(new PreflightError(['a', 'b']).message).toBe('2 problems:\n  - a\n  - b')
  })
})

describe('RulesDisagree', () => {
  it('is a PreflightError that the modes can tell apart by its name', () => {
    const e = new RulesDisagree(['the rules disagree'])
    expect(e).toBeInstanceOf(PreflightError)
    expect(e.name).toBe('RulesDisagree')
    expect(e.message).toBe('the rules disagree')
    expect(`${e}`).toBe('RulesDisagree: the rules disagree')
  })
})

describe('SplitTraffic', () => {
  it("lists each rule's share of the second service, and names both rollbacks", () => {
    const rules = [
      rule(RULE1, [BLUE_TG, 95], [GREEN_TG, 5]),
      rule(RULE2, [BLUE_TG, 50], [GREEN_TG, 50])
    ]
    const e = new SplitTraffic(SERVICES, rules, GROUPS)
    expect(e).toBeInstanceOf(Error)
    expect(e).not.toBeInstanceOf(PreflightError)
    expect(e.name).toBe('SplitTraffic')
    expect(e.services).toBe(SERVICES)
    expect(e.rules).toBe(rules)
    expect(e.groups).toBe(GROUPS)
    expect(e.message).toBe(
      `traffic is split between web-blue and web-green (${RULE1}: 5% (weights 5/95) on web-green; ${RULE2}: 50% (weights 50/50) on web-green), so which one is live is not clear and no rollout can start. Choose the live one: ${ROLLBACK_EITHER}`
    )
  })

  it('explains weights 1/1 when any rule has them', () => {
    const rules = [
      rule(RULE1, [BLUE_TG, 95], [GREEN_TG, 5]),
      rule(RULE2, [BLUE_TG, 1], [GREEN_TG, 1])
    ]
    expect(new SplitTraffic(SERVICES, rules, GROUPS).message).toBe(
      `traffic is split between web-blue and web-green (${RULE1}: 5% (weights 5/95) on web-green; ${RULE2}: 50% (weights 1/1) on web-green), so which one is live is not clear and no rollout can start.${EVEN} Choose the live one: ${ROLLBACK_EITHER}`
    )
  })

  it('does not explain weights 1/1 for other weights, or for a single group at weight 1', () => {
    const cases = [
      [rule(RULE1, [BLUE_TG, 1], [GREEN_TG, 3])],
      [rule(RULE1, [BLUE_TG, 0], [GREEN_TG, 1])],
      [rule(RULE1, [GREEN_TG, 1])],
      [rule(RULE1, [BLUE_TG, 1], [GREEN_TG, 1], [`${ELB}:targetgroup/web-x/1`, 1])]
    ]
    for (const rules of cases) {
      expect(new SplitTraffic(SERVICES, rules, GROUPS).message).not.toContain('Weights 1/1')
    }
  })
})
