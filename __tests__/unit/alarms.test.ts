import { describe, it, expect, jest, beforeEach } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import 'aws-sdk-client-mock-jest'
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch'
import type {
  CompositeAlarm,
  DescribeAlarmsCommandOutput,
  MetricAlarm
} from '@aws-sdk/client-cloudwatch'
import { CloudWatchAlarms, missingAlarms } from '../../src/aws/cloudwatch/alarms.js'
import { AlarmGate } from '../../src/engine/gates/alarms.js'
import type { AlarmReader } from '../../src/engine/gates/alarms.js'
import type { AlarmView, Log } from '../../src/engine/types.js'

const cloudWatch = mockClient(CloudWatchClient)
const client = new CloudWatchClient({ region: 'us-east-1' })
const window = { stageStartedAt: 0, now: 0 }

const web5xx = {
  AlarmName: 'web-5xx',
  StateValue: 'OK',
  StateReason: 'Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (5.0).',
  Period: 60,
  EvaluationPeriods: 3,
  MetricName: 'HTTPCode_Target_5XX_Count',
  Namespace: 'AWS/ApplicationELB'
} satisfies MetricAlarm

const latencyMath = {
  AlarmName: 'web-latency',
  StateValue: 'OK',
  StateReason: 'ok',
  EvaluationPeriods: 2,
  Metrics: [
    {
      Id: 'p',
      MetricStat: {
        Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'TargetResponseTime' },
        Period: 300,
        Stat: 'Average'
      },
      ReturnData: false
    },
    { Id: 'e', Expression: 'p * 1000', ReturnData: true }
  ]
} satisfies MetricAlarm

const webHealth = {
  AlarmName: 'web-health',
  StateValue: 'OK',
  StateReason: 'all children OK',
  AlarmRule: 'ALARM(web-5xx) OR ALARM(web-latency)'
} satisfies CompositeAlarm

function output(
  metric: MetricAlarm[],
  composite: CompositeAlarm[] = []
): DescribeAlarmsCommandOutput {
  return { MetricAlarms: metric, CompositeAlarms: composite, $metadata: {} }
}

beforeEach(() => {
  cloudWatch.reset()
})

describe('CloudWatchAlarms', () => {
  it('reads every named alarm with one DescribeAlarms call asking for both alarm types', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(output([web5xx], [webHealth]))
    const views = await new CloudWatchAlarms(client, ['web-5xx', 'web-health']).describe()

    expect(cloudWatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 1)
    expect(cloudWatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['web-5xx', 'web-health'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm']
    })
    expect(views.map(v => [v.name, v.type, v.state])).toEqual([
      ['web-5xx', 'metric', 'OK'],
      ['web-health', 'composite', 'OK']
    ])
  })

  it('gives a metric alarm its window of period times evaluation periods', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(output([web5xx]))
    const [view] = await new CloudWatchAlarms(client, ['web-5xx']).describe()
    expect(view.windowMs).toBe(180_000)
  })

  it('takes the period of a metric-math alarm from its queries', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(output([latencyMath]))
    const [view] = await new CloudWatchAlarms(client, ['web-latency']).describe()
    expect(view.windowMs).toBe(600_000)
  })

  it('gives a composite alarm no window', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(output([], [webHealth]))
    const [view] = await new CloudWatchAlarms(client, ['web-health']).describe()
    expect(view.windowMs).toBeUndefined()
  })

  it('asks for more than 100 names in calls of at most 100', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(output([]))
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`)
    await new CloudWatchAlarms(client, names).describe()

    expect(cloudWatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2)
    const sent = cloudWatch.commandCalls(DescribeAlarmsCommand).map(c => c.args[0].input.AlarmNames)
    expect(sent).toEqual([names.slice(0, 100), names.slice(100)])
  })

  it('follows NextToken when CloudWatch pages the answer', async () => {
    cloudWatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ ...output([web5xx]), NextToken: 'page-2' })
      .resolvesOnce(output([], [webHealth]))
    const views = await new CloudWatchAlarms(client, ['web-5xx', 'web-health']).describe()

    expect(cloudWatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2)
    expect(cloudWatch).toHaveReceivedNthSpecificCommandWith(2, DescribeAlarmsCommand, {
      AlarmNames: ['web-5xx', 'web-health'],
      NextToken: 'page-2'
    })
    expect(views.map(v => v.name)).toEqual(['web-5xx', 'web-health'])
  })

  it('sends nothing when no alarms are named, since that would list every alarm', async () => {
    expect(await new CloudWatchAlarms(client, []).describe()).toEqual([])
    expect(cloudWatch).not.toHaveReceivedCommand(DescribeAlarmsCommand)
  })
})

describe('missingAlarms', () => {
  it('names the alarms DescribeAlarms did not return', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(output([web5xx]))
    const names = ['web-5xx', 'web-5xxx', 'web-health']
    const views = await new CloudWatchAlarms(client, names).describe()
    expect(missingAlarms(names, views)).toEqual(['web-5xxx', 'web-health'])
  })
})

/** A reader whose answers the test sets per poll. */
function fakeReader(names: string[], ...polls: AlarmView[][]): AlarmReader {
  let i = 0
  return { names, describe: async () => polls[Math.min(i++, polls.length - 1)] }
}

function view(name: string, state: AlarmView['state'], reason = ''): AlarmView {
  return { name, type: 'metric', state, reason }
}

function fakeLog(): Log & { warn: jest.Mock<(line: string) => void> } {
  return { info: jest.fn(), warn: jest.fn<(line: string) => void>(), debug: jest.fn() }
}

describe('AlarmGate', () => {
  it('passes while every alarm is OK, with each state in the detail line', async () => {
    const reader = fakeReader(
      ['web-5xx', 'web-latency'],
      [view('web-5xx', 'OK'), view('web-latency', 'OK')]
    )
    const reading = await new AlarmGate(reader, 'ok', fakeLog()).read(window)
    expect(reading).toEqual({ verdict: 'pass', reason: '', detail: 'web-5xx OK · web-latency OK' })
  })

  it('fails on an alarm in ALARM, giving its StateReason', async () => {
    cloudWatch
      .on(DescribeAlarmsCommand)
      .resolves(
        output([{ ...web5xx, StateValue: 'ALARM', StateReason: 'Threshold Crossed: 12 > 5' }])
      )
    const gate = new AlarmGate(new CloudWatchAlarms(client, ['web-5xx']), 'ok', fakeLog())
    const reading = await gate.read(window)
    expect(reading.verdict).toBe('fail')
    expect(reading.reason).toBe('alarm web-5xx is in ALARM: Threshold Crossed: 12 > 5')
  })

  it('names every alarm in ALARM when several are', async () => {
    const reader = fakeReader(
      ['a', 'b', 'c'],
      [view('a', 'ALARM', 'too many 5xx'), view('b', 'OK'), view('c', 'ALARM', 'too slow')]
    )
    const reading = await new AlarmGate(reader, 'ok', fakeLog()).read(window)
    expect(reading.reason).toBe('alarm a is in ALARM: too many 5xx; alarm c is in ALARM: too slow')
    expect(reading.detail).toBe('a ALARM · b OK · c ALARM')
  })

  it('counts INSUFFICIENT_DATA as OK under policy ok, warning once per alarm over many reads', async () => {
    const reader = fakeReader(
      ['web-5xx', 'web-latency'],
      [
        view('web-5xx', 'INSUFFICIENT_DATA', 'no datapoints'),
        view('web-latency', 'INSUFFICIENT_DATA')
      ]
    )
    const log = fakeLog()
    const gate = new AlarmGate(reader, 'ok', log)
    for (let i = 0; i < 3; i++) expect((await gate.read(window)).verdict).toBe('pass')

    expect(log.warn).toHaveBeenCalledTimes(2)
    expect(log.warn.mock.calls[0][0]).toContain('web-5xx is INSUFFICIENT_DATA (no datapoints)')
    expect(log.warn.mock.calls[1][0]).toContain('web-latency is INSUFFICIENT_DATA')
  })

  it('fails on INSUFFICIENT_DATA under policy alarm', async () => {
    const reader = fakeReader(['web-5xx'], [view('web-5xx', 'INSUFFICIENT_DATA', 'no datapoints')])
    const log = fakeLog()
    const reading = await new AlarmGate(reader, 'alarm', log).read(window)
    expect(reading.verdict).toBe('fail')
    expect(reading.reason).toContain('alarm web-5xx is INSUFFICIENT_DATA')
    expect(reading.reason).toContain('no datapoints')
    expect(reading.detail).toBe('web-5xx INSUFFICIENT_DATA')
    expect(log.warn).not.toHaveBeenCalled()
  })

  it('fails when an alarm disappears between polls', async () => {
    const reader = fakeReader(
      ['web-5xx', 'web-latency'],
      [view('web-5xx', 'OK'), view('web-latency', 'OK')],
      [view('web-latency', 'OK')]
    )
    const gate = new AlarmGate(reader, 'ok', fakeLog())
    expect((await gate.read(window)).verdict).toBe('pass')

    const reading = await gate.read(window)
    expect(reading.verdict).toBe('fail')
    expect(reading.reason).toMatch(/^alarm web-5xx no longer exists/)
    expect(reading.detail).toBe('web-5xx MISSING · web-latency OK')
  })

  it('fails on an alarm that was never there', async () => {
    const reading = await new AlarmGate(fakeReader(['web-5xxx'], []), 'ok', fakeLog()).read(window)
    expect(reading.verdict).toBe('fail')
    expect(reading.reason).toContain('alarm web-5xxx does not exist')
  })

  it('lets a CloudWatch error propagate so the engine can count blind polls', async () => {
    cloudWatch.on(DescribeAlarmsCommand).rejects(new Error('Rate exceeded'))
    const gate = new AlarmGate(new CloudWatchAlarms(client, ['web-5xx']), 'ok', fakeLog())
    await expect(gate.read(window)).rejects.toThrow('Rate exceeded')
  })

  it('names DescribeAlarms in the error, for the rollback reason', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })
    cloudWatch.on(DescribeAlarmsCommand).rejects(throttled)
    const gate = new AlarmGate(new CloudWatchAlarms(client, ['web-5xx']), 'ok', fakeLog())
    await expect(gate.read(window)).rejects.toThrow(
      'DescribeAlarms failed for alarms web-5xx: Throttling: Rate exceeded'
    )
  })
})
