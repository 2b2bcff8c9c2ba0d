import { describe, it, expect } from '@jest/globals'
import { isApplication, parseArn, parseArnOf } from '../../src/arn.js'

const ELB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012'
const ECS = 'arn:aws:ecs:eu-west-1:123456789012'
const LB = 'app/web/50dc6c495c0c9188'
const LISTENER = `${ELB}:listener/${LB}/f2f7dc8efc522ab2`

describe('parseArn', () => {
  it('names a listener rule, its load balancer and its listener', () => {
    expect(parseArn(`${ELB}:listener-rule/${LB}/f2f7dc8efc522ab2/9683b2d02a6cabee`)).toEqual({
      arn: `${ELB}:listener-rule/${LB}/f2f7dc8efc522ab2/9683b2d02a6cabee`,
      kind: 'listener-rule',
      partition: 'aws',
      region: 'eu-west-1',
      account: '123456789012',
      resource: `listener-rule/${LB}/f2f7dc8efc522ab2/9683b2d02a6cabee`,
      name: 'web',
      loadBalancer: LB,
      listener: LISTENER
    })
  })

  it('names a listener as its own listener', () => {
    expect(parseArn(LISTENER)).toMatchObject({
      kind: 'listener',
      name: 'web',
      loadBalancer: LB,
      listener: LISTENER
    })
  })

  it('names a load balancer by its CloudWatch dimension', () => {
    expect(parseArn(`${ELB}:loadbalancer/${LB}`)).toMatchObject({
      kind: 'load-balancer',
      name: 'web',
      loadBalancer: LB,
      resource: `loadbalancer/${LB}`
    })
  })

  it('names a target group', () => {
    expect(parseArn(`${ELB}:targetgroup/web-green/0a1b2c3d`)).toMatchObject({
      kind: 'target-group',
      name: 'web-green',
      resource: 'targetgroup/web-green/0a1b2c3d'
    })
  })

  it('names a cluster', () => {
    expect(parseArn(`${ECS}:cluster/prod`)).toMatchObject({ kind: 'cluster', name: 'prod' })
  })

  it('reads both forms of a service ARN, the long one with its cluster', () => {
    expect(parseArn(`${ECS}:service/prod/web-blue`)).toMatchObject({
      kind: 'service',
      name: 'web-blue',
      cluster: 'prod'
    })
    const short = parseArn(`${ECS}:service/web-blue`)
    expect(short).toMatchObject({ kind: 'service', name: 'web-blue' })
    expect(short).not.toHaveProperty('cluster')
  })

  it('reads a task definition as its family and revision', () => {
    expect(parseArn(`${ECS}:task-definition/web:42`)).toMatchObject({
      kind: 'task-definition',
      name: 'web',
      revision: 42
    })
  })

  it('keeps the partition, region and account of other partitions', () => {
    expect(
      parseArn('arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:210987654321:targetgroup/a/b')
    ).toMatchObject({ partition: 'aws-us-gov', region: 'us-gov-west-1', account: '210987654321' })
  })

  it.each([
    ['a name', 'web-green'],
    [
      'an account that is not 12 digits',
      'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/a/b'
    ],
    ['no region', 'arn:aws:ecs::123456789012:cluster/prod'],
    ['another service', 'arn:aws:iam::123456789012:role/deployer'],
    ['a resource type the action does not use', `${ECS}:task/prod/0123`],
    ['an ELB resource under the ECS service', `${ECS}:targetgroup/a/b`],
    ['a listener rule without its rule id', `${ELB}:listener-rule/${LB}/f2f7dc8efc522ab2`],
    ['a listener with a space', `${ELB}:listener/${LB}/f2f7 dc8e`],
    ['a task definition without a revision', `${ECS}:task-definition/web`],
    ['a classic load balancer', `${ELB}:loadbalancer/web`]
  ])('refuses %s', (_, text) => {
    expect(parseArn(text)).toBeUndefined()
  })
})

describe('parseArnOf', () => {
  it('answers only for the kinds asked', () => {
    expect(parseArnOf(LISTENER, ['listener', 'listener-rule'])?.kind).toBe('listener')
    expect(parseArnOf(`${ELB}:targetgroup/a/b`, ['listener', 'listener-rule'])).toBeUndefined()
  })
})

describe('isApplication', () => {
  it('tells an Application Load Balancer from a Network one', () => {
    expect(isApplication(parseArn(LISTENER)!)).toBe(true)
    expect(isApplication(parseArn(`${ELB}:listener/net/web/50dc6c495c0c9188/aa`)!)).toBe(false)
    expect(isApplication(parseArn(`${ELB}:targetgroup/a/b`)!)).toBe(false)
  })
})
