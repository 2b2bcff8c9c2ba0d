import { join } from 'node:path'
import { ECS_SERVICE_RUNNING, ensureMoto, startMoto } from './global-setup.js'
import type { MotoServer } from './global-setup.js'
import { repoRoot } from './runner-env.js'

export type { MotoServer } from './global-setup.js'

/**
 * moto for scripts that run outside jest (the demo, the bench, CI's dry run): installs the pinned
 * moto into `.venv` when it is missing, exactly as the e2e global setup does, starts it, and
 * points this process's fixture and proxy helpers at it (MOTO_URL), as a jest worker would be.
 * `detached` leaves the server running after this process exits.
 */
export async function startEmulator(
  options: { detached?: { logFile: string } } = {}
): Promise<MotoServer> {
  const python = ensureMoto(
    join(repoRoot, '.venv'),
    join(repoRoot, '__tests__', 'e2e', 'support', 'moto-constraints.txt')
  )
  const server = await startMoto(python, options)
  process.env.MOTO_URL = server.url
  process.env.MOTO_ECS_SERVICE_RUNNING = String(ECS_SERVICE_RUNNING)
  return server
}
