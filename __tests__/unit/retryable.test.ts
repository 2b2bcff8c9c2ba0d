import { describe, it, expect } from '@jest/globals'
import { isThrottlingError, isTransientError } from '@smithy/core/retry'
import { canClearByItself } from '../../src/aws/retryable.js'
import { OutOfTime } from '../../src/aws/within.js'

/** An error shaped like the SDK's ServiceException: a name, the HTTP status, maybe more. */
function awsError(
  name: string,
  status?: number,
  more: { code?: string; $retryable?: unknown; cause?: unknown } = {}
): Error {
  return Object.assign(new Error(`${name} from AWS`), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    ...more
  })
}

/** Wraps `inner` the way the adapters name the failed call (rules.ts `wrap`), `times` deep. */
function wrapped(inner: unknown, times: number): unknown {
  let e = inner
  for (let i = 0; i < times; i++) e = new Error(`DescribeRules failed: level ${i}`, { cause: e })
  return e
}

// The names the SDK itself classes as throttling (@smithy/core, service-error-classification
// THROTTLING_ERROR_CODES). Query-protocol services such as ELB answer throttling with HTTP 400,
// so the name has to decide before the status does.
const THROTTLING = [
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
]

// The SDK's TRANSIENT_ERROR_CODES (S3's RequestTimeout comes with HTTP 400) and the abort of a
// request torn down mid-flight.
const TIMEOUT_NAMES = ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']

// Node's socket error codes the SDK retries (NODEJS_TIMEOUT_ERROR_CODES, and the DNS failures of
// NODEJS_NETWORK_ERROR_CODES): the request may never have reached AWS.
const NETWORK_CODES = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']

describe("the lists below are the SDK's own", () => {
  // Checked against @smithy/core's classifiers, so a name here is one the SDK retries too, not
  // a copy of src/aws/retryable.ts.
  const sdk = (e: Error) => e as Parameters<typeof isTransientError>[0]
  it.each(THROTTLING)('%s is throttling to the SDK', name => {
    expect(isThrottlingError(sdk(awsError(name, 400)))).toBe(true)
  })

  it.each(TIMEOUT_NAMES.filter(n => n !== 'AbortError'))('%s is transient to the SDK', name => {
    expect(isTransientError(sdk(awsError(name, 400)))).toBe(true)
  })

  it.each(NETWORK_CODES)('code %s is transient to the SDK', code => {
    expect(isTransientError(sdk(awsError('Error', 400, { code })))).toBe(true)
  })
})

describe('canClearByItself: what restore keeps retrying', () => {
  it.each(THROTTLING)('retries %s, even when it comes with HTTP 400', name => {
    expect(canClearByItself(awsError(name, 400))).toBe(true)
  })

  it.each(TIMEOUT_NAMES)('retries %s, even when it comes with HTTP 400', name => {
    expect(canClearByItself(awsError(name, 400))).toBe(true)
  })

  it.each(NETWORK_CODES)('retries an error with code %s, whatever its status', code => {
    expect(canClearByItself(awsError('Error', 400, { code }))).toBe(true)
  })

  it('retries an error the service models as retryable ($retryable), even with a 4xx status', () => {
    expect(canClearByItself(awsError('ResourceInUse', 400, { $retryable: {} }))).toBe(true)
    expect(canClearByItself(awsError('Busy', 409, { $retryable: { throttling: true } }))).toBe(true)
  })

  it.each([500, 502, 503, 504, 599])('retries any answer with status %d', status => {
    expect(canClearByItself(awsError('InternalFailure', status))).toBe(true)
  })

  it('retries a 429 whatever its name', () => {
    expect(canClearByItself(awsError('SomethingNew', 429))).toBe(true)
  })

  it('retries an OutOfTime (a budget ended), whatever it wraps', () => {
    expect(canClearByItself(new OutOfTime('ModifyRule did not answer within 50ms'))).toBe(true)
    const denied = awsError('AccessDenied', 403)
    expect(canClearByItself(new OutOfTime('ModifyRule ran out', { cause: denied }))).toBe(true)
  })

  it('retries what does not look like an AWS answer at all', () => {
    expect(canClearByItself(new Error('socket hang up'))).toBe(true)
    expect(canClearByItself(wrapped(new Error('boom'), 2))).toBe(true)
    expect(canClearByItself('a string')).toBe(true)
    expect(canClearByItself(undefined)).toBe(true)
    expect(canClearByItself(null)).toBe(true)
  })
})

describe('canClearByItself: what restore stops on at once', () => {
  it.each([
    ['AccessDenied', 403],
    ['AccessDeniedException', 400],
    ['ValidationError', 400],
    ['RuleNotFound', 400],
    ['ListenerNotFound', 400],
    ['UnauthorizedOperation', 401],
    ['NotFound', 404],
    ['Conflict', 409],
    ['SomethingNew', 499]
  ])('stops on %s (HTTP %d): no retry changes it', (name, status) => {
    expect(canClearByItself(awsError(name, status))).toBe(false)
  })

  it('stops on a 4xx whose code is not a network failure', () => {
    expect(canClearByItself(awsError('ValidationError', 400, { code: 'ValidationError' }))).toBe(
      false
    )
  })

  it('stops on a 4xx that the service did not model as retryable', () => {
    expect(canClearByItself(awsError('AccessDenied', 403, { $retryable: undefined }))).toBe(false)
    expect(canClearByItself(awsError('AccessDenied', 403, { $retryable: false }))).toBe(false)
  })

  it('stops on a 4xx without a name', () => {
    const nameless = Object.assign(Object.create(null) as object, {
      $metadata: { httpStatusCode: 403 }
    })
    expect(canClearByItself(nameless)).toBe(false)
  })
})

describe('canClearByItself through wrapped errors (cause)', () => {
  it('looks through the wrappers that name the failed call', () => {
    expect(canClearByItself(wrapped(awsError('AccessDenied', 403), 1))).toBe(false)
    expect(canClearByItself(wrapped(awsError('Throttling', 400), 1))).toBe(true)
    expect(canClearByItself(wrapped(awsError('ServiceUnavailable', 503), 3))).toBe(true)
  })

  it('takes the first answer it meets: a wrapper with a status decides', () => {
    const outer = awsError('InternalFailure', 500, { cause: awsError('AccessDenied', 403) })
    expect(canClearByItself(outer)).toBe(true)
    const denial = awsError('AccessDenied', 403, { cause: awsError('Throttling', 400) })
    expect(canClearByItself(denial)).toBe(false)
  })

  it('looks five errors deep and no deeper: a denial under five wrappers is not seen', () => {
    const denied = awsError('AccessDenied', 403)
    expect(canClearByItself(wrapped(denied, 4))).toBe(false)
    expect(canClearByItself(wrapped(denied, 5))).toBe(true)
  })

  it('ends on a cause that points back at itself', () => {
    const loop = new Error('loop') as Error & { cause?: unknown }
    loop.cause = loop
    expect(canClearByItself(loop)).toBe(true)
  })
})
