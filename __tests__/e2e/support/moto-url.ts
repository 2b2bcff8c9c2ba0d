/** The URL of the moto server global-setup started, for test-side calls that bypass the proxy. */
export function motoUrl(): string {
  const url = process.env.MOTO_URL
  if (!url) throw new Error('MOTO_URL is not set: run the e2e tests with `npm run test:e2e`')
  return url
}

/**
 * The runningCount moto gives every new ECS service (global-setup starts moto with
 * MOTO_ECS_SERVICE_RUNNING set to it). A service created with a larger desiredCount never
 * completes its deployment; UpdateService(desiredCount = n) sets runningCount to n at once.
 */
export function motoEcsServiceRunning(): number {
  return Number(process.env.MOTO_ECS_SERVICE_RUNNING ?? 2)
}
