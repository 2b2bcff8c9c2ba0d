import { describe, it, expect } from '@jest/globals'
import type { DescribeTaskDefinitionCommandOutput } from '@aws-sdk/client-ecs'
import {
  checkFamily,
  classifyTaskDefinition,
  familyOf,
  parseTaskDefinitionFile,
  READ_ONLY_FIELDS
} from '../../src/inputs/taskdef.js'
import { InputError } from '../../src/engine/plan.js'

const ARN = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42'

/** What `aws ecs describe-task-definition --include TAGS` prints, dates as the CLI writes them. */
const described = {
  taskDefinition: {
    taskDefinitionArn: ARN,
    family: 'web',
    revision: 42,
    status: 'ACTIVE',
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
    containerDefinitions: [
      { name: 'web', image: 'nginx:1.27', essential: true, portMappings: [{ containerPort: 80 }] }
    ],
    volumes: []
  },
  tags: [{ key: 'team', value: 'checkout' }]
} satisfies Omit<DescribeTaskDefinitionCommandOutput, '$metadata'>

const printed = JSON.stringify({
  ...described,
  taskDefinition: {
    ...described.taskDefinition,
    registeredAt: '2026-11-28T12:00:00.000Z',
    registeredBy: 'arn:aws:iam::123456789012:role/deployer',
    deregisteredAt: null
  }
})

describe('classifyTaskDefinition', () => {
  it('takes a task definition ARN as registered, with its family', () => {
    expect(classifyTaskDefinition(ARN)).toEqual({ kind: 'registered', value: ARN, family: 'web' })
  })

  it('takes family:revision as registered', () => {
    expect(classifyTaskDefinition(' web-api_2:7 ')).toEqual({
      kind: 'registered',
      value: 'web-api_2:7',
      family: 'web-api_2'
    })
  })

  it('takes anything else as a file path, even a bare family name', () => {
    expect(classifyTaskDefinition('deploy/task-def.json')).toEqual({
      kind: 'file',
      path: 'deploy/task-def.json'
    })
    expect(classifyTaskDefinition('web')).toEqual({ kind: 'file', path: 'web' })
  })
})

describe('familyOf', () => {
  it('reads the family out of an ARN and out of family:revision', () => {
    expect(familyOf(ARN)).toBe('web')
    expect(familyOf('web:42')).toBe('web')
  })
})

describe('parseTaskDefinitionFile', () => {
  it('unwraps describe-task-definition output and drops every read-only field', () => {
    const { input, ignored } = parseTaskDefinitionFile(printed, 'td.json')
    for (const field of READ_ONLY_FIELDS) expect(input).not.toHaveProperty(field)
    expect(input).toEqual({
      family: 'web',
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: described.taskDefinition.containerDefinitions,
      volumes: [],
      tags: [{ key: 'team', value: 'checkout' }]
    })
    expect(ignored).toEqual([])
  })

  it('reads a rendered file (no wrapper) and leaves out an empty tag list', () => {
    const rendered = JSON.stringify({ ...described.taskDefinition, tags: [] })
    const { input } = parseTaskDefinitionFile(rendered, 'rendered.json')
    expect(input.family).toBe('web')
    expect(input).not.toHaveProperty('tags')
    expect(input).not.toHaveProperty('revision')
  })

  it('drops JSON nulls inside container definitions', () => {
    const withNull = JSON.stringify({
      family: 'web',
      containerDefinitions: [{ name: 'web', image: 'nginx', hostname: null }]
    })
    const { input } = parseTaskDefinitionFile(withNull, 'td.json')
    expect(input.containerDefinitions).toEqual([{ name: 'web', image: 'nginx' }])
  })

  it('reports fields RegisterTaskDefinition does not know, and leaves them out', () => {
    const typo = JSON.stringify({ ...described.taskDefinition, executionRole: 'x' })
    const { input, ignored } = parseTaskDefinitionFile(typo, 'td.json')
    expect(ignored).toEqual(['executionRole'])
    expect(input).not.toHaveProperty('executionRole')
  })

  it('refuses text that is not JSON, naming the input and the file', () => {
    expect(() => parseTaskDefinitionFile('{"family": ', 'td.json')).toThrow(
      /Input 'task-definition': 'td.json' is not valid JSON/
    )
  })

  it('refuses a file without a family or without containers', () => {
    expect(() =>
      parseTaskDefinitionFile(JSON.stringify({ containerDefinitions: [{}] }), 'a.json')
    ).toThrow(/'a.json' has no valid "family"/)
    expect(() =>
      parseTaskDefinitionFile(JSON.stringify({ family: 'web', containerDefinitions: [] }), 'b.json')
    ).toThrow(/'b.json' has no "containerDefinitions"/)
  })
})

describe('checkFamily', () => {
  const idle = { name: 'web-green', family: 'web' }
  const live = { name: 'web-blue', family: 'web' }

  it('accepts the family both services run', () => {
    expect(() => checkFamily('web', idle, live, false)).not.toThrow()
  })

  it('refuses another family and says how to allow it', () => {
    const attempt = () => checkFamily('billing', idle, live, false)
    expect(attempt).toThrow(InputError)
    expect(attempt).toThrow(
      /family 'billing' differs from 'web', which both 'web-green' and 'web-blue' run.*allow-family-change: true/
    )
  })

  it('allows another family when allow-family-change is set', () => {
    expect(() => checkFamily('billing', idle, live, true)).not.toThrow()
  })

  it('lets any family through when the services already run different ones', () => {
    const greenFamily = { name: 'web-green', family: 'web-green' }
    const blueFamily = { name: 'web-blue', family: 'web-blue' }
    expect(() => checkFamily('web-blue', greenFamily, blueFamily, false)).not.toThrow()
  })
})
