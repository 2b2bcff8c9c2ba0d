/**
 * A time limit for one SDK call. The SDK's own request timeout applies per attempt, and it
 * retries: a stalled API can hold one `send` for four attempts × 4 s. Where a budget is
 * counted (a rollback, the runner's 10 s after a cancel), a call must end when the budget does.
 */

/** Thrown when a call did not finish in its time. */
export class OutOfTime extends Error {
  override name = 'OutOfTime'
}

/**
 * Runs `call` with an abort signal that fires after `ms` (pass it to `client.send` so the
 * request is torn down), and rejects with `OutOfTime` then, even if the call ignores it.
 */
export async function within<T>(
  ms: number,
  what: string,
  call: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const error = new OutOfTime(`${what} did not answer within ${Math.max(0, ms)}ms`)
        controller.abort(error)
        reject(error)
      },
      Math.max(0, ms)
    )
  })
  try {
    return await Promise.race([call(controller.signal), expired])
  } finally {
    clearTimeout(timer)
  }
}
