/**
 * How every SDK client is configured. Imports no SDK client, so a step that needs one client
 * (the post step: ELBv2 only) does not load the others.
 */

/** The product's user agent, so AWS-side logs (CloudTrail) show who moved the weights. */
export const USER_AGENT: [string, string] = ['ecs-canary', '0.1.0']

/**
 * Standard retries (jittered backoff on throttling and 5xx); 4 attempts ride out a burst. Not
 * `adaptive`: its client-side rate limiter would delay a rollback write after a throttle.
 */
export function clientConfig(region: string) {
  return {
    region,
    maxAttempts: 4,
    retryMode: 'standard',
    customUserAgent: [USER_AGENT],
    // A stalled connection must not eat a rollback's budget (6 s under a cancel): give up on
    // it and let the retry go out on a fresh one. Without throwOnRequestTimeout the SDK only
    // logs a warning when requestTimeout passes, and a stalled call hangs for good.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000, throwOnRequestTimeout: true }
  }
}
