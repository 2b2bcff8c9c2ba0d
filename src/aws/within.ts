/**
 * A time limit for one SDK call. The SDK's own request timeout applies per attempt, and it
 * retries: a stalled API can hold one `send` for four attempts × 4 s. Where a budget is
 * counted (a rollback, the runner's 10 s after a cancel), a call must end when the budget does,
 * or as soon as the run is cancelled.
 */

/** Thrown when a call did not finish in its time. */
export class OutOfTime extends Error {
  override name = 'OutOfTime'
}

/**
 * Runs `call` with an abort signal that fires after `ms` (Infinity: never) or when `cancel`
 * fires: pass it to `client.send` so the request is torn down. Rejects then, even if the call
 * ignores the signal.
 */
export async function within<T>(
  ms: number,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
  cancel?: AbortSignal
): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let onCancel = (): void => undefined
  const stopped = new Promise<never>((_, reject) => {
    const stop = (error: Error) => {
      controller.abort(error)
      reject(error)
    }
    if (Number.isFinite(ms)) {
      const limit = Math.max(0, ms)
      timer = setTimeout(
        () => stop(new OutOfTime(`${what} did not answer within ${limit}ms`)),
        limit
      )
    }
    if (cancel) {
      // An outer budget ending (its OutOfTime) is passed on as such; anything else is a cancel.
      onCancel = () =>
        stop(
          cancel.reason instanceof OutOfTime
            ? cancel.reason
            : new Error(`${what} was cut short: the run was cancelled`)
        )
      // A signal aborts once; the listener goes in `finally` below, fired or not.
      if (cancel.aborted) onCancel()
      else cancel.addEventListener('abort', onCancel)
    }
  })
  try {
    return await Promise.race([call(controller.signal), stopped])
  } finally {
    clearTimeout(timer)
    cancel?.removeEventListener('abort', onCancel)
  }
}
