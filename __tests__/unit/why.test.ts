// "Why it rolled back": each gate's failure, run through the engine with the real gate, leaves
// its evidence on the record, and the summary names it. The revision diff lists names, never values.
import { describe, expect, it } from '@jest/globals'
import { runRollout } from '../../src/engine/rollout.js'
import { AlarmGate } from '../../src/engine/gates/alarms.js'
import { AnalysisGate } from '../../src/engine/gates/analysis.js'
import { HealthGate } from '../../src/engine/gates/health.js'
import type { CanaryService, HealthReader, StoppedTask } from '../../src/engine/health.js'
import type { Gate, RevisionFacts } from '../../src/engine/types.js'
import { renderSummary } from '../../src/github/summary.js'
import { revisionChanges, whySection } from '../../src/github/why.js'
import { factsOf } from '../../src/aws/ecs/revision-facts.js'
import { deps, FakeClock, FakeTraffic, spec, stagesOf } from './fakes.js'

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0)
const MIN = 60_000

/** Runs 10% → 100% with `gate`, and renders the summary of how it ended. */
async function summaryWith(gate: Gate): Promise<string> {
  const { deps: d } = deps({ traffic: new FakeTraffic(), clock: new FakeClock(T0), gates: [gate] })
  const result = await runRollout(spec({ plan: stagesOf([10, 100], 5 * MIN) }), d)
  expect(result.outcome.result).toBe('rolled-back')
  return renderSummary({
    cluster: 'prod',
    newService: 'web-green',
    oldService: 'web-blue',
    plan: '10:5m 100:5m',
    mode: 'deploy',
    record: result.record,
    next: "give a fixed revision in 'task-definition'"
  })
}

describe('why it rolled back, per gate', () => {
  it('names the alarm, its state reason and when it changed', async () => {
    const changedAt = T0 + 90_000
    const gate = new AlarmGate(
      {
        names: ['web-5xx'],
        describe: async () => [
          {
            name: 'web-5xx',
            type: 'metric',
            state: 'ALARM',
            reason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)',
            changedAt
          }
        ]
      },
      'ok',
      { info: () => undefined, warn: () => undefined, debug: () => undefined }
    )
    const markdown = await summaryWith(gate)
    expect(markdown).toContain('#### Why it rolled back')
    expect(markdown).toContain('Stopped by the alarms gate.')
    expect(markdown).toContain('Alarm **web-5xx** went to ALARM, since 12:01:30 UTC:')
    expect(markdown).toContain('> Threshold Crossed: 1 datapoint [12.0] was greater')
    expect(markdown).toContain("**Next:** give a fixed revision in 'task-definition'")
  })

  it('sets canary and live side by side: requests, errors, latency', async () => {
    const side = (requests: number, errors: number, latency: number) => ({
      requests,
      errors,
      latencySum: latency * requests,
      latencyCount: requests
    })
    const gate = new AnalysisGate(
      async () => ({ canary: side(400, 40, 0.25), live: side(9000, 9, 0.05) }),
      { loadBalancerArn: 'lb', canaryTargetGroupArn: 'green', liveTargetGroupArn: 'blue' },
      { errorRatio: 2, errorPoints: 1, latencyRatio: 1.5, minRequests: 50 }
    )
    const markdown = await summaryWith(gate)
    expect(markdown).toContain('Stopped by the analysis gate (canary against live).')
    expect(markdown).toContain('| Requests | 400 | 9000 |')
    expect(markdown).toContain('| 5xx errors | 40 | 9 |')
    expect(markdown).toContain('| Error rate | 10.00% | 0.10% |')
    expect(markdown).toContain('| Mean latency | 250 ms | 50 ms |')
  })

  it('lists the stopped task with its stop code and exit code, and the events of the stage', async () => {
    let failed = 0
    const service = (): CanaryService => ({
      name: 'web-green',
      desiredCount: 1,
      runningCount: 1,
      deployments: [
        {
          id: 'ecs-svc/1',
          status: 'PRIMARY',
          taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8',
          failedTasks: failed
        }
      ],
      events: [
        {
          at: new Date(T0 + 30_000).toISOString(),
          message: '(service web-green) has started 1 tasks'
        },
        { at: new Date(T0 - MIN).toISOString(), message: 'an event from before the stage' }
      ]
    })
    const stopped: StoppedTask = {
      id: '0f1e2d',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8',
      stoppedReason: 'Essential container in task exited',
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'app', exitCode: 137, reason: 'OutOfMemoryError' }]
    }
    const reader: HealthReader = {
      targets: async () => [{ id: '10.0.1.5:8080', state: 'healthy' }],
      canary: async () => service(),
      stoppedTasks: async () => [stopped]
    }
    const clock = new FakeClock(T0)
    const health = new HealthGate(reader, clock)
    // The second read sees a task fail.
    const gate: Gate = {
      name: 'health',
      read: async window => {
        const reading = await health.read(window)
        failed = 1
        return reading
      }
    }
    const markdown = await summaryWith(gate)
    expect(markdown).toContain('Stopped by the health gate')
    expect(markdown).toContain(
      '| 0f1e2d | EssentialContainerExited | Essential container in task exited | app 137 (OutOfMemoryError) |'
    )
    expect(markdown).toContain('- 12:00:30 UTC: (service web-green) has started 1 tasks')
    const events = markdown.split('ECS events of the canary service since the stage began:')[1]
    expect(events.split('**Next:**')[0]).not.toContain('an event from before the stage')
  })
})

describe('what changed from the live revision', () => {
  const live: RevisionFacts = factsOf('arn:…:task-definition/web:7', {
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: 'app',
        image: 'nginx:1.27',
        environment: [{ name: 'MODE', value: 'live' }],
        portMappings: [{ containerPort: 80, protocol: 'tcp' }]
      }
    ]
  })
  const shipped: RevisionFacts = factsOf('arn:…:task-definition/web:8', {
    cpu: '256',
    memory: '1024',
    containerDefinitions: [
      {
        name: 'app',
        image: 'nginx:1.28',
        environment: [
          { name: 'MODE', value: 'live' },
          { name: 'DATABASE_PASSWORD', value: 'hunter2' }
        ],
        portMappings: [{ containerPort: 8080, protocol: 'tcp' }]
      }
    ]
  })

  it('lists a changed image and a new environment variable by name, never its value', () => {
    const lines = revisionChanges(live, shipped)
    expect(lines).toEqual([
      'memory: `512` → `1024`',
      '`app` image: `nginx:1.27` → `nginx:1.28`',
      '`app` new environment variables: `DATABASE_PASSWORD`',
      '`app` ports: `80/tcp` → `8080/tcp`'
    ])
    const section = whySection({ reason: 'alarm web-5xx', revisions: { live, shipped } })
    expect(section).toContain('`app` new environment variables: `DATABASE_PASSWORD`')
    expect(section).not.toContain('hunter2')
    expect(JSON.stringify(shipped)).not.toContain('hunter2')
  })

  it('says so when nothing the list covers changed', () => {
    expect(whySection({ reason: 'r', revisions: { live, shipped: live } })).toContain(
      '- nothing in images, environment names, cpu, memory or ports'
    )
  })
})
