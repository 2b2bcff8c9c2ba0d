import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch'
import type { StateValue } from '@aws-sdk/client-cloudwatch'
import type { TestAws } from './clients.js'

/** One CloudWatch metric alarm of the stack. */
export interface AlarmSpec {
  name: string
  /** Default OK. Set with SetAlarmState: in moto that is the only way an alarm changes. */
  state?: StateValue
  reason?: string
  /** Metric period in seconds (default 60). */
  periodSeconds?: number
  /** Default 2: a 60 s period then needs a bake of at least 2 minutes to be meaningful. */
  evaluationPeriods?: number
}

/** `web-5xx` (Sum of target 5XX) and `web-latency` (Average target response time). */
export const DEFAULT_ALARMS: AlarmSpec[] = [{ name: 'web-5xx' }, { name: 'web-latency' }]

/** Creates the alarms on the load balancer's metrics and puts each in its state. */
export async function createAlarms(
  aws: TestAws,
  loadBalancerArn: string,
  specs: AlarmSpec[]
): Promise<void> {
  // The metric dimension is the ARN's suffix after "loadbalancer/", as real ALB metrics use it.
  const loadBalancer = loadBalancerArn.split(':loadbalancer/')[1]
  for (const spec of specs) {
    const latency = spec.name.includes('latency')
    await aws.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: spec.name,
        Namespace: 'AWS/ApplicationELB',
        MetricName: latency ? 'TargetResponseTime' : 'HTTPCode_Target_5XX_Count',
        Statistic: latency ? 'Average' : 'Sum',
        Dimensions: [{ Name: 'LoadBalancer', Value: loadBalancer }],
        Period: spec.periodSeconds ?? 60,
        EvaluationPeriods: spec.evaluationPeriods ?? 2,
        Threshold: latency ? 1.5 : 5,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching'
      })
    )
    await setAlarm(aws, spec.name, spec.state ?? 'OK', spec.reason ?? 'e2e fixture')
  }
}

/** Puts an alarm in a state, as CloudWatch would when its metric crosses the threshold. */
export async function setAlarm(
  aws: TestAws,
  name: string,
  state: StateValue,
  reason: string
): Promise<void> {
  await aws.cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: reason })
  )
}
