import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs'
import { EcsCanaryService } from '../../src/aws/ecs/canary-service.js'

const ecs = mockClient(ECSClient)
const client = new ECSClient({ region: 'eu-west-1' })
const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0f1e2d'

function denied(operation: string): Error {
  const error = new Error(
    `User: arn:aws:iam::123456789012:user/ecs-canary is not authorized to perform: ecs:${operation}`
  )
  error.name = 'AccessDeniedException'
  return error
}

beforeEach(() => {
  ecs.reset()
})
afterAll(() => client.destroy())

describe('EcsCanaryService.stoppedTasks', () => {
  it('names ListTasks and the service when the list is refused', async () => {
    ecs.on(ListTasksCommand).rejects(denied('ListTasks'))
    const read = new EcsCanaryService(client, 'prod', 'web-green').stoppedTasks()
    await expect(read).rejects.toThrow(
      'ListTasks failed for service web-green: AccessDeniedException: User: arn:aws:iam::123456789012:user/ecs-canary is not authorized to perform: ecs:ListTasks'
    )
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0)
  })

  it('names DescribeTasks and the service when the tasks cannot be described', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] })
    ecs.on(DescribeTasksCommand).rejects(denied('DescribeTasks'))
    const read = new EcsCanaryService(client, 'prod', 'web-green').stoppedTasks()
    await expect(read).rejects.toThrow(
      'DescribeTasks failed for service web-green: AccessDeniedException:'
    )
    expect(ecs.commandCalls(DescribeTasksCommand)[0].args[0].input).toEqual({
      cluster: 'prod',
      tasks: [TASK]
    })
  })
})
