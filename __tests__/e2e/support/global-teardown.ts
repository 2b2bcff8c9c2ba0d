// Self-contained for the same reason as global-setup.ts: jest loads it outside the module system.
const HANDLE = Symbol.for('ecs-canary.e2e.moto')

/** Stops the moto server that global-setup started. */
export default async function globalTeardown(): Promise<void> {
  const handles = globalThis as Record<symbol, { stop(): Promise<void> } | undefined>
  const server = handles[HANDLE]
  delete handles[HANDLE]
  await server?.stop()
}
