import { describe, expect, it } from '@jest/globals'
import { readSettings } from '../../src/inputs.js'

const RULE =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee'
const LISTENER =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2'
const ENV = { AWS_REGION: 'us-east-1' }

function read(inputs: Record<string, string>, env: NodeJS.ProcessEnv = ENV) {
  const all: Record<string, string> = {
    cluster: 'web-cluster',
    services: 'web-blue web-green',
    'listener-rules': RULE,
    ...inputs
  }
  return readSettings(name => all[name] ?? '', env)
}

describe('readSettings', () => {
  it('applies the documented defaults', () => {
    const s = read({})
    expect(s).toMatchObject({
      cluster: 'web-cluster',
      services: ['web-blue', 'web-green'],
      listenerRules: [RULE],
      bakeMs: 300_000,
      pollMs: 5000,
      insufficientData: 'ok',
      mode: 'deploy',
      canaryCapacity: 'match',
      afterPromotion: 'keep',
      serviceTimeoutMs: 900_000,
      allowFamilyChange: false,
      dryRun: false,
      region: 'us-east-1',
      alarms: []
    })
    expect(s.plan?.map(p => p.tenths)).toEqual([10, 20, 50, 100, 500, 1000])
    expect(s.analysis.enabled).toBe(true)
    expect(s.analysis.bounds).toEqual({
      errorRatio: 2,
      errorPoints: 1,
      latencyRatio: 1.5,
      minRequests: 50
    })
  })

  it('reads lists separated by spaces, commas or newlines', () => {
    const s = read({
      services: 'web-blue,\nweb-green',
      'listener-rules': `${RULE}\n${LISTENER}`,
      alarms: 'web-5xx, web-latency'
    })
    expect(s.services).toEqual(['web-blue', 'web-green'])
    expect(s.listenerRules).toEqual([RULE, LISTENER])
    expect(s.alarms).toEqual(['web-5xx', 'web-latency'])
    expect(s.analysis.enabled).toBe(false)
  })

  it('leaves the plan to the record in promote mode when stages is empty', () => {
    expect(read({ mode: 'promote' }).plan).toBeUndefined()
    expect(read({ mode: 'promote', stages: '100' }).plan).toEqual([
      { tenths: 1000, bake: { kind: 'bake', ms: 300_000 } }
    ])
  })

  it.each([
    [{ cluster: '' }, "Input 'cluster': is required and was not given"],
    [{ services: 'web-blue' }, "Input 'services': expected exactly two service names"],
    [
      { services: 'a b c' },
      "Input 'services': expected exactly two service names (the pair that takes turns), got 3"
    ],
    [{ services: 'web web' }, "Input 'services': the two services must differ, got 'web' twice"],
    [
      { 'listener-rules': 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/y' },
      "Input 'listener-rules': 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/y' is not an Application Load Balancer listener"
    ],
    [{ 'listener-rules': `${RULE} ${RULE}` }, `Input 'listener-rules': '${RULE}' is listed twice`],
    [
      { mode: 'yolo' },
      "Input 'mode': 'yolo' is not one of 'deploy', 'promote', 'rollback', 'status', 'reconcile'"
    ],
    [{ 'bake-time': '5' }, "Input 'bake-time': '5' is not a duration"],
    [{ 'poll-interval': '10ms' }, "Input 'poll-interval': must be at least 100ms, got 10ms"],
    [
      { 'insufficient-data': 'maybe' },
      "Input 'insufficient-data': 'maybe' is not one of 'ok', 'alarm'"
    ],
    [
      { 'canary-capacity': 'double' },
      "Input 'canary-capacity': 'double' is not one of 'match', 'keep'"
    ],
    [
      { 'after-promotion': 'delete' },
      "Input 'after-promotion': 'delete' is not one of 'keep', 'scale-down'"
    ],
    [{ 'dry-run': 'sure' }, "Input 'dry-run': 'sure' is not true or false"],
    [{ stages: '5,2,100' }, "Input 'stages': stages must rise strictly"],
    [{ alarms: 'a a' }, "Input 'alarms': 'a' is listed twice"],
    [{ 'max-latency': '200' }, "Input 'max-latency': '200' is not a ratio"]
  ])('refuses %j, naming the input and the value', (inputs, message) => {
    expect(() => read(inputs)).toThrow(message)
  })

  it('refuses a plan too long to record in a tag', () => {
    const stages = Array.from({ length: 60 }, (_, i) => `${(i + 1) / 10}:1h30m`).join(',') + ',100'
    expect(() => read({ stages })).toThrow(
      /Input 'stages': the plan is too long to record on the rules \(\d+ characters/
    )
  })

  it('requires a region', () => {
    expect(() => read({}, {})).toThrow("Input 'AWS_REGION': no region: set AWS_REGION")
    expect(read({}, { AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-1')
  })
})

describe('health-gate', () => {
  it('is on by default and reads on/off like every switch', () => {
    expect(read({}).healthGate).toBe(true)
    expect(read({ 'health-gate': 'off', alarms: 'web-5xx' }).healthGate).toBe(false)
    expect(read({ 'health-gate': 'false', alarms: 'web-5xx' }).healthGate).toBe(false)
    expect(read({ 'health-gate': 'ON' }).healthGate).toBe(true)
    expect(() => read({ 'health-gate': 'maybe' })).toThrow(
      "Input 'health-gate': 'maybe' is neither on nor off"
    )
  })

  it('refuses a rollout nothing watches, naming the three inputs', () => {
    for (const mode of ['deploy', 'promote']) {
      expect(() => read({ mode, analysis: 'off', 'health-gate': 'off' })).toThrow(
        /^Input 'health-gate': 'off', with no 'alarms' and 'analysis: off', leaves the rollout unwatched.*'alarms'.*'analysis: on'.*'health-gate: on'$/
      )
    }
  })

  it('lets rollback and status run with every gate off: they move nothing forward', () => {
    for (const mode of ['rollback', 'status']) {
      expect(read({ mode, analysis: 'off', 'health-gate': 'off' }).healthGate).toBe(false)
    }
  })
})
