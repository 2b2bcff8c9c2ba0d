/**
 * The "why" of a real rollback, end to end: a deploy of a revision with a new image and a new
 * environment variable, rolled back on an alarm, tells in its job summary the alarm's reason and
 * what the revision changed from live: the image, the variable's name, never its value.
 */
import { describe, expect, it } from '@jest/globals'
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs'
import { provisionStack, setAlarm } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs } from './support/rollout-helpers.js'
import { startAction } from './support/runner.js'

const e2e = useE2e()
const NEW_IMAGE = 'public.ecr.aws/nginx/nginx:1.28'
const REASON = 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)'

describe('the summary of a rollback on an alarm', () => {
  it('names the alarm and what the shipped revision changed, without values', async () => {
    const s = await provisionStack()
    const { taskDefinition } = await s.aws.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: s.taskDefinitionFamily,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: s.containerName,
            image: NEW_IMAGE,
            essential: true,
            environment: [{ name: 'FEATURE_TOKEN', value: 'hunter2-secret-value' }]
          }
        ]
      })
    )
    const action = startAction(e2e.context(s), {
      inputs: deployInputs(s, {
        'task-definition': taskDefinition!.taskDefinitionArn!,
        stages: '10:30s,100:1s',
        'poll-interval': '1s'
      })
    })
    await action.waitForOutput(/^Stage 1\/2: 10% on web-green/)
    await setAlarm(s.aws, 'web-5xx', 'ALARM', REASON)
    const result = await action.done
    s.aws.destroy()

    expect(result.outputs.result).toBe('rolled-back')
    const { summary } = result
    expect(summary).toContain('#### Why it rolled back')
    expect(summary).toContain('Stopped by the alarms gate.')
    expect(summary).toMatch(/Alarm \*\*web-5xx\*\* went to ALARM, since \d\d:\d\d:\d\d UTC:/)
    expect(summary).toContain(`> ${REASON}`)
    expect(summary).toContain(`\`${s.containerName}\` image: \``)
    expect(summary).toContain(`→ \`${NEW_IMAGE}\``)
    expect(summary).toContain(`\`${s.containerName}\` new environment variables: \`FEATURE_TOKEN\``)
    expect(summary).not.toContain('hunter2-secret-value')
    expect(summary).toContain("**Next:** give a fixed revision in 'task-definition'")
  })
})
