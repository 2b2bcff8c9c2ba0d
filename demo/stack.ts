/**
 * A stack to point the action at, without an AWS account: starts moto on 127.0.0.1, detached so
 * that it outlives this script, provisions the demo stack in a fresh account, and prints what a
 * workflow step needs in GITHUB_OUTPUT format:
 *
 *   npx tsx demo/stack.ts >> "$GITHUB_OUTPUT"
 *
 * moto tells accounts apart by access key: the action must run with the AWS_* credentials printed
 * here (the stack's account), or it sees an empty account. Everything else goes to stderr,
 * including how to stop the server.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator } from '../__tests__/e2e/support/emulator.js'
import { provisionStack } from '../__tests__/e2e/support/fixture.js'

const logFile = join(process.env.RUNNER_TEMP ?? tmpdir(), 'ecs-canary-moto.log')
const server = await startEmulator({ detached: { logFile } })
const stack = await provisionStack()
stack.aws.destroy()

const { credentials } = stack.account
const outputs: Record<string, string> = {
  endpoint: server.url,
  'moto-pid': String(server.pid),
  cluster: stack.clusterName,
  services: `${stack.services.blue.name} ${stack.services.green.name}`,
  // The listener's default action and the /api/* rule, moved in lockstep.
  rules: `${stack.listenerArn} ${stack.rules.api}`,
  alarms: stack.alarmNames.join(' '),
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_SESSION_TOKEN: credentials.sessionToken ?? ''
}
for (const [name, value] of Object.entries(outputs)) console.log(`${name}=${value}`)
console.error(
  `moto runs on ${server.url} (pid ${server.pid}, log ${logFile}); the stack is in account ` +
    `${stack.account.accountId}. Stop the server with: kill ${server.pid}`
)
