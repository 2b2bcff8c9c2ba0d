import { describe, it, expect, jest, beforeEach, afterEach } from '@jest/globals'
import { OutOfTime, within } from '../../src/aws/within.js'

/** A call that answers `value` after `ms` (fake timers), remembering the signal it was given. */
function answersAfter<T>(ms: number, value: T) {
  const seen: { signal?: AbortSignal; abortedAtStart?: boolean } = {}
  const call = (signal: AbortSignal) => {
    seen.signal = signal
    seen.abortedAtStart = signal.aborted
    return new Promise<T>(resolve => setTimeout(() => resolve(value), ms))
  }
  return { call, seen }
}

/** What a promise settled with, without awaiting it past the timers. */
function outcome<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false }
  promise.then(
    value => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true })
  )
  return state
}

beforeEach(() => {
  jest.useFakeTimers()
})
afterEach(() => {
  jest.useRealTimers()
})

describe('within', () => {
  it("answers with the call's answer when it comes in time", async () => {
    const { call } = answersAfter(100, 'rules')
    const result = outcome(within(1000, 'DescribeRules', call))

    await jest.advanceTimersByTimeAsync(100)

    expect(result).toEqual({ value: 'rules', settled: true })
  })

  it('rejects with OutOfTime naming the call and the limit, and aborts the request', async () => {
    const { call, seen } = answersAfter(5000, 'late')
    const result = outcome(within(250, 'ModifyRule', call))

    await jest.advanceTimersByTimeAsync(249)
    expect(result.settled).toBe(false)
    expect(seen.signal?.aborted).toBe(false)
    await jest.advanceTimersByTimeAsync(1)

    expect(result.error).toBeInstanceOf(OutOfTime)
    expect((result.error as Error).message).toBe('ModifyRule did not answer within 250ms')
    expect(seen.signal?.aborted).toBe(true)
    expect(seen.signal?.reason).toBe(result.error)
  })

  it('counts a budget already spent as 0 ms', async () => {
    const { call } = answersAfter(10, 'late')
    const result = outcome(within(-40, 'ModifyRule', call))

    await jest.advanceTimersByTimeAsync(0)

    expect((result.error as Error).message).toBe('ModifyRule did not answer within 0ms')
  })

  it('never times out with an infinite budget', async () => {
    const { call } = answersAfter(3_600_000, 'eventually')
    const result = outcome(within(Infinity, 'DescribeTags', call))

    await jest.advanceTimersByTimeAsync(3_600_000)

    expect(result.value).toBe('eventually')
  })

  it('leaves no timer and no abort behind once the call has answered', async () => {
    const { call, seen } = answersAfter(10, 'done')
    const result = outcome(within(1000, 'ModifyRule', call))
    await jest.advanceTimersByTimeAsync(10)
    expect(result.value).toBe('done')

    expect(jest.getTimerCount()).toBe(0)
    await jest.advanceTimersByTimeAsync(2000)
    expect(seen.signal?.aborted).toBe(false)
  })
})

describe('within with a cancel signal', () => {
  it('cuts the call short when the run is cancelled, naming the call', async () => {
    const cancel = new AbortController()
    const { call, seen } = answersAfter(5000, 'late')
    const result = outcome(within(Infinity, 'ModifyRule', call, cancel.signal))
    await jest.advanceTimersByTimeAsync(100)
    expect(result.settled).toBe(false)

    cancel.abort(new Error('SIGTERM'))
    await jest.advanceTimersByTimeAsync(0)

    expect((result.error as Error).message).toBe('ModifyRule was cut short: the run was cancelled')
    expect(result.error).not.toBeInstanceOf(OutOfTime)
    expect(seen.signal?.aborted).toBe(true)
  })

  it('does not start waiting when the run is already cancelled', async () => {
    const cancel = new AbortController()
    cancel.abort()
    const { call, seen } = answersAfter(10, 'answered anyway')
    const result = outcome(within(1000, 'ModifyRule', call, cancel.signal))

    await jest.advanceTimersByTimeAsync(10)

    expect(seen.abortedAtStart).toBe(true)
    expect((result.error as Error).message).toBe('ModifyRule was cut short: the run was cancelled')
  })

  it("passes on an outer budget's OutOfTime as such", async () => {
    const outer = new AbortController()
    const budget = new OutOfTime('restore did not answer within 30000ms')
    const { call } = answersAfter(5000, 'late')
    const result = outcome(within(Infinity, 'ModifyRule', call, outer.signal))

    outer.abort(budget)
    await jest.advanceTimersByTimeAsync(0)

    expect(result.error).toBe(budget)
  })

  it("passes on an outer budget's OutOfTime that had already ended", async () => {
    const outer = new AbortController()
    const budget = new OutOfTime('restore did not answer within 30000ms')
    outer.abort(budget)
    const result = outcome(within(Infinity, 'ModifyRule', answersAfter(5, 'x').call, outer.signal))

    await jest.advanceTimersByTimeAsync(5)

    expect(result.error).toBe(budget)
  })

  it('times out first when the limit comes before any cancel', async () => {
    const cancel = new AbortController()
    const result = outcome(
      within(50, 'DescribeRules', answersAfter(5000, 'late').call, cancel.signal)
    )

    await jest.advanceTimersByTimeAsync(50)

    expect(result.error).toBeInstanceOf(OutOfTime)
  })

  it('stops listening once the call has answered: a later cancel aborts nothing', async () => {
    const cancel = new AbortController()
    const { call, seen } = answersAfter(10, 'done')
    const result = outcome(within(Infinity, 'ModifyRule', call, cancel.signal))
    await jest.advanceTimersByTimeAsync(10)
    expect(result.value).toBe('done')

    cancel.abort()

    expect(seen.signal?.aborted).toBe(false)
  })
})
