/**
 * Recording a promotion. The release has baked cleanly at 100% by then: a tag write that fails
 * must not roll it back, so the record is retried within a budget and, if it never lands, the
 * run still ends promoted with a warning that says how to fix the record.
 */
import { formatDuration } from './plan.js'
import type { RolloutDeps, RolloutSpec } from './ports.js'
import { Tag } from '../names.js'

/** How long a promotion's record may keep trying. */
const PROMOTION_RECORD_MS = 15_000

/** The message of anything thrown, Error or not. */
function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : JSON.stringify(error)
}

/** Records `promoted`, retrying a failed write (1 s doubling to 8 s) for `PROMOTION_RECORD_MS`. */
export async function recordPromotion(spec: RolloutSpec, deps: RolloutDeps): Promise<void> {
  const deadline = deps.clock.now() + PROMOTION_RECORD_MS
  for (let wait = 1_000; ; wait = Math.min(wait * 2, 8_000)) {
    try {
      await deps.recordPhase('promoted', '')
      return
    } catch (error) {
      if (deps.signal.aborted || deps.clock.now() + wait > deadline) {
        deps.log.warn(
          `Promoted: ${spec.idleService} takes 100% and baked cleanly, but the record on the rules could not be written (${messageOf(error)}). ` +
            'Until it is, the rules read as in progress. Fix it on every listener rule: aws elbv2 add-tags --resource-arns RULE_ARN --tags ' +
            `Key=${Tag.phase},Value=promoted Key=${Tag.live},Value=${spec.idleService} Key=${Tag.idle},Value=${spec.liveService}`
        )
        return
      }
      deps.log.warn(
        `Could not record the promotion (${messageOf(error)}); again in ${formatDuration(wait)}.`
      )
      await deps.clock.sleep(wait, deps.signal)
    }
  }
}
