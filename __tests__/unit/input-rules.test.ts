import { describe, it, expect } from '@jest/globals'
import { alarmNames, atLeast, pollInterval, rollbackTarget } from '../../src/inputs/input-rules.js'
import { InputError } from '../../src/engine/plan.js'

/** The InputError `run` throws (fails the test when it throws nothing). */
function refusal(run: () => unknown): InputError {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return err as InputError
  }
  throw new Error('expected an InputError, nothing was thrown')
}

const QUOTA =
  ": every poll is a DescribeAlarms call, and the account's quota for it (9 per second, shared by every rollout and dashboard) would be used up"

describe('pollInterval', () => {
  it('takes 1 s or more against AWS', () => {
    expect(pollInterval(1000, {})).toBe(1000)
    expect(pollInterval(1500, {})).toBe(1500)
  })

  it('refuses less than 1 s against AWS, naming the input, the floor and the value', () => {
    const error = refusal(() => pollInterval(500, {}))
    expect(error.input).toBe('poll-interval')
    expect(error.message).toBe(`Input 'poll-interval': must be at least 1s, got 500ms${QUOTA}`)
    expect(refusal(() => pollInterval(0, {})).message).toBe(
      `Input 'poll-interval': must be at least 1s, got 0ms${QUOTA}`
    )
    expect(refusal(() => pollInterval(999, {})).message).toContain('got 999ms')
  })

  it.each([
    'http://127.0.0.1:5000',
    'http://localhost:4566',
    'http://[::1]:5000/',
    'https://localhost'
  ])('takes down to 100 ms against a local emulator at %s', url => {
    expect(pollInterval(100, { AWS_ENDPOINT_URL: url })).toBe(100)
    expect(pollInterval(100, { AWS_ENDPOINT_URL_CLOUDWATCH: url })).toBe(100)
    expect(refusal(() => pollInterval(50, { AWS_ENDPOINT_URL: url })).message).toBe(
      `Input 'poll-interval': must be at least 100ms, got 50ms${QUOTA}`
    )
  })

  it.each([
    'https://monitoring.us-east-1.amazonaws.com',
    'https://vpce-0123.monitoring.us-east-1.vpce.amazonaws.com',
    'http://127.0.0.2:5000',
    'http://localhost.example.com',
    'not a url',
    ''
  ])('keeps the 1 s floor for the endpoint %p', url => {
    expect(refusal(() => pollInterval(100, { AWS_ENDPOINT_URL: url })).message).toContain(
      'must be at least 1s, got 100ms'
    )
  })

  it("reads CloudWatch's own endpoint before the shared one", () => {
    const local = 'http://127.0.0.1:5000'
    const aws = 'https://monitoring.eu-west-1.amazonaws.com'
    expect(pollInterval(100, { AWS_ENDPOINT_URL_CLOUDWATCH: local, AWS_ENDPOINT_URL: aws })).toBe(
      100
    )
    expect(() =>
      pollInterval(100, { AWS_ENDPOINT_URL_CLOUDWATCH: aws, AWS_ENDPOINT_URL: local })
    ).toThrow('must be at least 1s')
  })
})

describe('alarmNames', () => {
  it('keeps each line whole when there is a newline, dropping blank lines', () => {
    expect(alarmNames('web 5xx errors\n\n  web latency, p99  \n \n')).toEqual([
      'web 5xx errors',
      'web latency, p99'
    ])
  })

  it('splits on commas and spaces without a newline', () => {
    expect(alarmNames(' web-5xx,web-latency  web-cpu, ')).toEqual([
      'web-5xx',
      'web-latency',
      'web-cpu'
    ])
    expect(alarmNames('')).toEqual([])
  })

  it("refuses an alarm ARN, naming the alarm's name to give instead", () => {
    const arn = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web 5xx'
    expect(refusal(() => alarmNames(`web-latency\n${arn}`)).message).toBe(
      `Input 'alarms': '${arn}' is an alarm ARN; give the alarm's name instead ('web 5xx')`
    )
  })
})

describe('rollbackTarget', () => {
  const pair = ['web-blue', 'web-green'] as const

  it('is empty unless given', () => {
    expect(rollbackTarget('', 'deploy', pair)).toBeUndefined()
    expect(rollbackTarget('', 'rollback', pair)).toBeUndefined()
  })

  it('names one of the pair in mode rollback', () => {
    expect(rollbackTarget('web-green', 'rollback', pair)).toBe('web-green')
  })

  it('is refused outside mode rollback and when it names neither service', () => {
    expect(refusal(() => rollbackTarget('web-green', 'deploy', pair)).message).toBe(
      "Input 'to': only mode: rollback takes it (mode is deploy); leave it empty"
    )
    expect(refusal(() => rollbackTarget('web-red', 'rollback', pair)).message).toBe(
      "Input 'to': 'web-red' is not one of the pair (web-blue, web-green)"
    )
  })
})

describe('atLeast', () => {
  it('takes the floor itself and anything above it', () => {
    expect(atLeast('stale-after', 120_000, 120_000)).toBe(120_000)
    expect(atLeast('stale-after', 180_000, 120_000)).toBe(180_000)
  })

  it('refuses less, naming the input, the floor and the value', () => {
    const error = refusal(() => atLeast('stale-after', 60_000, 120_000))
    expect(error.input).toBe('stale-after')
    expect(error.message).toBe("Input 'stale-after': must be at least 120000ms, got 60000ms")
  })
})
