/**
 * Whether an AWS error can clear by itself. The SDK already retries throttling, 5xx and network
 * errors a few times; a caller with a longer budget (restoring traffic) keeps retrying those,
 * and stops at once on the rest: a denial or a refused request fails the same way every time.
 */
import { OutOfTime } from './within.js'

/** Error names AWS uses for throttling across services and protocols. */
const THROTTLING = new Set<string | undefined>([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException'
])

/** Network-level failures: the request may not have reached AWS at all. */
const NETWORK = new Set<string | undefined>([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND'
])

interface AwsishError {
  name?: string
  code?: string
  $metadata?: { httpStatusCode?: number }
  $retryable?: unknown
  cause?: unknown
}

/**
 * True for throttling, 5xx, time-outs and network errors (and anything that does not look like
 * an AWS answer at all); false for the 4xx answers no retry changes: AccessDenied, validation
 * errors, missing resources. Looks through `cause` (errors wrapped with the call's name).
 */
export function canClearByItself(error: unknown): boolean {
  for (let e = error as AwsishError | undefined, depth = 0; e && depth < 5; depth++) {
    if (e instanceof OutOfTime) return true
    if (THROTTLING.has(e.name) || NETWORK.has(e.name) || NETWORK.has(e.code)) return true
    if (e.$retryable) return true
    const status = e.$metadata?.httpStatusCode
    if (status !== undefined) return status >= 500 || status === 429
    e = e.cause as AwsishError | undefined
  }
  return true
}
