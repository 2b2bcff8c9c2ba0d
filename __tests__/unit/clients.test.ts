import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs'
import { makeClients } from '../../src/aws/clients.js'

// An endpoint that accepts every request and never answers: a stalled API.
let server: Server
const saved = { ...process.env }

beforeAll(async () => {
  server = createServer(() => undefined)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  process.env.AWS_ACCESS_KEY_ID = 'AKIAUNITTEST'
  process.env.AWS_SECRET_ACCESS_KEY = 'unit-test'
})

afterAll(async () => {
  process.env = saved
  server.closeAllConnections()
  await new Promise(resolve => server.close(resolve))
})

describe('makeClients', () => {
  it('gives up on a call that gets no answer instead of waiting for good', async () => {
    const { elb } = makeClients('us-east-1')
    // The per-request timeout stands in for the 4 s one so the test is quick; giving up (rather
    // than logging a warning and waiting on) is the client's own setting.
    const call = elb.send(new DescribeRulesCommand({ RuleArns: ['arn:rule'] }), {
      requestTimeout: 50
    })

    await expect(call).rejects.toMatchObject({ name: 'TimeoutError' })
    elb.destroy()
  })
})

describe('the client that registers task definitions', () => {
  it('sends a RegisterTaskDefinition that got no answer once, where other calls are retried', async () => {
    let requests = 0
    const count = () => void requests++
    server.on('request', count)
    const { ecs, ecsRegister } = makeClients('us-east-1')
    const register = new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [] })
    // Long enough for the server to see each attempt on a loaded machine (at 50 ms the last
    // attempt could time out before its request reached the server: 3 counted, not 4).
    const options = { requestTimeout: 500 }

    await expect(ecsRegister.send(register, options)).rejects.toMatchObject({
      name: 'TimeoutError'
    })
    expect(requests).toBe(1)

    requests = 0
    await expect(ecs.send(register, options)).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(requests).toBe(4)
    server.off('request', count)
    ecs.destroy()
    ecsRegister.destroy()
  })
})
