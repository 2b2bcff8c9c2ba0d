/**
 * The SDK's "no credentials" error, turned into the step that fixes it. Without credentials the
 * very first call fails with `CredentialsProviderError: Could not load credentials from any
 * providers`, which names no input and no fix.
 */
/** Whether `error`, or any error in its `cause` chain, says no credentials could be found. */
export function isMissingCredentials(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 10; depth++) {
    const { name, message, cause } = e as { name?: unknown; message?: unknown; cause?: unknown }
    if (name === 'CredentialsProviderError') return true
    if (
      typeof message === 'string' &&
      /Could not load credentials from any providers/.test(message)
    )
      return true
    e = cause
  }
  return false
}

/** A sentence naming the fix when `error` is the SDK's missing-credentials error. */
export function credentialsHint(error: unknown): string | undefined {
  if (!isMissingCredentials(error)) return undefined
  return (
    `no AWS credentials were found (CredentialsProviderError). Add a step with ` +
    `aws-actions/configure-aws-credentials (role-to-assume and aws-region, with permissions: ` +
    `id-token: write) before this one: it puts the role's temporary credentials in the standard ` +
    `AWS_* variables, where this step looks for them. Nothing was changed`
  )
}
