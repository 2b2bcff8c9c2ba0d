import { describe, expect, it } from '@jest/globals'
import { readSettings } from '../../src/inputs/inputs.js'

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
    [
      {
        'listener-rules':
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0123abcd'
      },
      "That is a target group: find the rule that forwards to it with `aws elbv2 describe-rules --listener-arn LISTENER_ARN` and give the rule's RuleArn"
    ],
    [{ 'listener-rules': `${RULE} ${RULE}` }, `Input 'listener-rules': '${RULE}' is listed twice`],
    [
      { mode: 'yolo' },
      "Input 'mode': 'yolo' is not one of 'deploy', 'promote', 'rollback', 'status', 'reconcile'"
    ],
    [{ 'bake-time': '5' }, "Input 'bake-time': '5' is not a duration"],
    [
      { 'poll-interval': '500ms' },
      "Input 'poll-interval': must be at least 1s, got 500ms: every poll is a DescribeAlarms call"
    ],
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
    [{ 'dry-run': 'sure' }, "Input 'dry-run': 'sure' is not one of true/false, yes/no or on/off"],
    [{ stages: '1%,100' }, "Input 'stages': '1%': drop the % sign"],
    [{ stages: '1,2,5.5%:1m,100' }, '(write 5.5, not 5.5%)'],
    [
      { alarms: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx' },
      "Input 'alarms': 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx' is an alarm ARN; give the alarm's name instead ('web-5xx')"
    ],
    [{ to: 'web-blue' }, "Input 'to': only mode: rollback takes it (mode is deploy)"],
    [
      { mode: 'rollback', to: 'web-red' },
      "Input 'to': 'web-red' is not one of the pair (web-blue, web-green)"
    ],
    [{ 'allow-redeploy': 'si' }, "Input 'allow-redeploy': 'si' is not one of"],
    [{ stages: '5,2,100' }, "Input 'stages': stages must rise strictly"],
    [{ alarms: 'a a' }, "Input 'alarms': 'a' is listed twice"],
    [{ 'max-latency': '200' }, "Input 'max-latency': '200' is not a ratio"]
  ])('refuses %j, naming the input and the value', (inputs, message) => {
    expect(() => read(inputs)).toThrow(message)
  })

  it('keeps alarm names with spaces whole when they are given one per line', () => {
    expect(read({ alarms: 'web 5xx errors\n  web latency p99 \n\n' }).alarms).toEqual([
      'web 5xx errors',
      'web latency p99'
    ])
    expect(read({ alarms: 'web-5xx, web-latency web-cpu' }).alarms).toEqual([
      'web-5xx',
      'web-latency',
      'web-cpu'
    ])
  })

  it.each(['dry-run', 'allow-redeploy', 'allow-family-change'])(
    'reads %s with the same words as every other yes/no input',
    name => {
      const value = (text: string) => read({ [name]: text, mode: 'deploy' }) as unknown
      const field = {
        'dry-run': 'dryRun',
        'allow-redeploy': 'allowRedeploy',
        'allow-family-change': 'allowFamilyChange'
      }[name] as 'dryRun'
      for (const yes of ['true', 'Yes', 'ON']) expect(read({ [name]: yes })[field]).toBe(true)
      for (const no of ['false', 'No', 'OFF', '']) expect(read({ [name]: no })[field]).toBe(false)
      expect(() => value('1')).toThrow(`Input '${name}': '1' is not one of`)
    }
  )

  it('reads analysis with the same words as the other yes/no inputs', () => {
    expect(read({ analysis: 'yes', alarms: 'a' }).analysis.enabled).toBe(true)
    expect(read({ analysis: 'no' }).analysis.enabled).toBe(false)
    expect(() => read({ analysis: 'maybe' })).toThrow("Input 'analysis': 'maybe' is not one of")
  })

  it('takes to in rollback mode when it names one of the pair', () => {
    expect(read({ mode: 'rollback', to: 'web-green' }).to).toBe('web-green')
    expect(read({ mode: 'rollback' }).to).toBeUndefined()
  })

  it('allows polls under a second only against a local emulator, which has no quota', () => {
    const local = { ...ENV, AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }
    expect(read({ 'poll-interval': '250ms' }, local).pollMs).toBe(250)
    expect(read({ 'poll-interval': '1s' }).pollMs).toBe(1000)
    expect(() =>
      read({ 'poll-interval': '250ms' }, { ...ENV, AWS_ENDPOINT_URL: 'https://vpce.example' })
    ).toThrow("Input 'poll-interval': must be at least 1s, got 250ms")
    expect(() => read({ 'poll-interval': '10ms' }, local)).toThrow('must be at least 100ms')
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
