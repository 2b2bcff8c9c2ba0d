/**
 * The CLI commands a human runs when restore cannot put traffic back by itself, and the warning
 * that prints them the moment that is known.
 */
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { GroupPair } from '../../engine/types.js'
import { ALL_ON_LIVE, cliCommand, forwardOnly, withWeights } from './actions.js'
import type { RestoreHost } from './restore-host.js'
import { errorText } from './rules.js'

/**
 * The AWS CLI commands that put 100 % on live, one per rule, for a human to run when even
 * `restore` failed. Each carries the full action list as last read; a rule never read gets a
 * comment line and a forward-only list.
 */
export function restoreCommands(
  host: Pick<RestoreHost, 'reader' | 'deps' | 'cached'>,
  groups: GroupPair
): string[] {
  return host.reader.arns.flatMap(arn => {
    const entry = host.cached()?.get(arn)
    if (!entry) {
      const kind = host.reader.isListener(arn)
        ? // Stryker disable next-line StringLiteral: equivalent, cliCommand writes modify-listener for any call but ModifyRule
          'ModifyListener'
        : 'ModifyRule'
      return [
        `# The actions of ${arn} were never read: this replaces them with a single forward; check 'aws elbv2 describe-rules' first`,
        cliCommand(kind, arn, host.deps.region, forwardOnly(groups, ALL_ON_LIVE))
      ]
    }
    try {
      const actions: Action[] = withWeights(entry.actions, groups, ALL_ON_LIVE, entry.label)
      return [cliCommand(entry.call, entry.target, host.deps.region, actions)]
    } catch (err) {
      return [`# ${errorText(err)}`]
    }
  })
}

/**
 * Prints the commands for `arns` the moment they cannot be restored automatically, so a human
 * can act while the rules that can clear are still being retried.
 */
export function printNow(
  host: RestoreHost,
  arns: readonly string[],
  reasons: Record<string, string>,
  groups: GroupPair
) {
  const commands = restoreCommands(host, groups).filter(line =>
    arns.some(arn => line.includes(arn))
  )
  const why = arns.map(arn => `${arn}: ${reasons[arn] ?? 'not verified'}`).join('; ')
  host.deps.log.warn(
    `Traffic on these rules cannot be restored automatically (${why}). Run these commands now to put all traffic back on the live target group:\n${commands.join('\n')}`
  )
}
