/**
 * CloudWatch adapter: reads the named alarms, metric and composite, as `AlarmView`s.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch'
import type {
  CloudWatchClient,
  CompositeAlarm,
  DescribeAlarmsCommandInput,
  MetricAlarm
} from '@aws-sdk/client-cloudwatch'
import type { AlarmView } from '../../engine/types.js'

/** DescribeAlarms accepts at most this many names per call. */
const NAMES_PER_CALL = 100

/**
 * Reads a fixed set of alarms with one DescribeAlarms call per poll (one per 100 names).
 * Names that do not exist are silently absent from the result: see `missingAlarms`.
 */
export class CloudWatchAlarms {
  /** The alarm names this reader asks for, as given. */
  readonly names: readonly string[]

  constructor(
    private readonly client: CloudWatchClient,
    names: readonly string[]
  ) {
    this.names = [...new Set(names)]
  }

  /** The current state of every named alarm that exists, metric alarms first. */
  async describe(): Promise<AlarmView[]> {
    // With no AlarmNames, DescribeAlarms returns every alarm in the account.
    if (this.names.length === 0) return []
    const views: AlarmView[] = []
    for (let i = 0; i < this.names.length; i += NAMES_PER_CALL) {
      views.push(...(await this.describeChunk(this.names.slice(i, i + NAMES_PER_CALL))))
    }
    return views
  }

  private async describeChunk(names: string[]): Promise<AlarmView[]> {
    const views: AlarmView[] = []
    let nextToken: string | undefined
    do {
      const input: DescribeAlarmsCommandInput = {
        AlarmNames: names,
        // Without AlarmTypes, composite alarms are silently left out.
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        // Ask for the whole chunk at once so one call is enough; NextToken is followed anyway.
        MaxRecords: NAMES_PER_CALL,
        NextToken: nextToken
      }
      const page = await this.send(input)
      views.push(...(page.MetricAlarms ?? []).map(metricView))
      views.push(...(page.CompositeAlarms ?? []).map(compositeView))
      nextToken = page.NextToken
    } while (nextToken)
    return views
  }

  /**
   * One DescribeAlarms call; its error names the call and the alarms asked for (the gate
   * reports it as the reason, and an operator looks both up in the IAM policy or CloudTrail).
   */
  private async send(input: DescribeAlarmsCommandInput) {
    try {
      return await this.client.send(new DescribeAlarmsCommand(input))
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      const names = (input.AlarmNames ?? []).join(', ')
      throw new Error(`DescribeAlarms failed for alarms ${names}: ${text}`, { cause: error })
    }
  }
}

/** The names in `names` that DescribeAlarms did not return, in the order given. */
export function missingAlarms(names: readonly string[], views: readonly AlarmView[]): string[] {
  const found = new Set(views.map(v => v.name))
  return names.filter(name => !found.has(name))
}

function state(value: string | undefined): AlarmView['state'] {
  // An alarm whose state we cannot read has, for our purposes, no data.
  return value === 'OK' || value === 'ALARM' ? value : 'INSUFFICIENT_DATA'
}

function metricView(alarm: MetricAlarm): AlarmView {
  const windowMs = evaluationWindowMs(alarm)
  return {
    name: alarm.AlarmName ?? '',
    type: 'metric',
    state: state(alarm.StateValue),
    reason: alarm.StateReason ?? '',
    ...changed(alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp),
    ...(windowMs === undefined ? {} : { windowMs })
  }
}

function compositeView(alarm: CompositeAlarm): AlarmView {
  return {
    name: alarm.AlarmName ?? '',
    type: 'composite',
    state: state(alarm.StateValue),
    reason: alarm.StateReason ?? '',
    ...changed(alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp)
  }
}

/**
 * When the alarm last changed state, already in the DescribeAlarms answer: "The date and time
 * that the alarm's `StateValue` most recently changed." (MetricAlarm.StateTransitionedTimestamp)
 * Without it, StateUpdatedTimestamp: "The time stamp of the last update to the value of either
 * the `StateValue` or `EvaluationState` parameters."
 */
function changed(at: Date | undefined): { changedAt?: number } {
  return at ? { changedAt: at.getTime() } : {}
}

/**
 * Period × evaluation periods. A metric-math alarm has no Period of its own; its queries carry
 * one each, and the longest is the one that decides how late the alarm can notice anything.
 */
function evaluationWindowMs(alarm: MetricAlarm): number | undefined {
  const periods = (alarm.Metrics ?? [])
    .map(q => q.MetricStat?.Period ?? q.Period)
    .filter((p): p is number => typeof p === 'number' && p > 0)
  const period = alarm.Period ?? (periods.length > 0 ? Math.max(...periods) : undefined)
  if (!period || !alarm.EvaluationPeriods) return undefined
  return period * alarm.EvaluationPeriods * 1000
}
