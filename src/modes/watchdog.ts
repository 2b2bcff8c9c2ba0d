/**
 * The watchdog's judgement over a recorded rollout, pure: is its owner alive, is it abandoned,
 * has a pause lasted too long. The reads and writes are `modes/reconcile.ts`'s.
 */
import type { OwnerRun } from '../github/runs.js'
import { Input } from '../names.js'
import { formatDuration } from '../engine/plan.js'
import type { RecordedState } from '../engine/state.js'

/** Without GitHub's word, a heartbeat must be this many times `stale-after` old to act on. */
export const BLIND_FACTOR = 3

/** What to do with one rule set. */
export type Verdict =
  { readonly act: false; readonly line: string } | { readonly act: true; readonly reason: string }

/** Epoch ms of an ISO time written by the action, or undefined when it does not parse. */
export function timeOf(iso: string | undefined): number | undefined {
  if (!iso) return undefined
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? undefined : ms
}

/** When the owner last showed life: its heartbeat, or the record's last change. */
export function lastSign(recorded: RecordedState): string {
  return recorded.heartbeat ?? recorded.updated
}

/** Whether an in-progress rollout's heartbeat is older than `stale-after` (so: ask GitHub). */
export function isStale(recorded: RecordedState, now: number, staleAfterMs: number): boolean {
  const at = timeOf(lastSign(recorded))
  return at === undefined || now - at > staleAfterMs
}

/**
 * An in-progress rollout whose heartbeat is stale: restore when its run is over, or, when
 * GitHub cannot say, when the heartbeat is `BLIND_FACTOR` × `stale-after` old.
 */
export function judgeInProgress(
  recorded: RecordedState,
  owner: OwnerRun,
  now: number,
  staleAfterMs: number,
  runUrl: string
): Verdict {
  const sign = lastSign(recorded)
  const at = timeOf(sign)
  const age = at === undefined ? Infinity : now - at
  const ageText = at === undefined ? 'never' : `${formatDuration(roundSecond(age))} ago`
  const lost = {
    act: true,
    reason: `runner lost: ${runUrl} last heartbeat ${sign || 'never'}`
  } as const
  if (age <= staleAfterMs) {
    return { act: false, line: `in progress, heartbeat ${ageText}: the owner ${runUrl} is alive.` }
  }
  if (owner.state === 'running') {
    return {
      act: false,
      line: `in progress, heartbeat ${ageText} (older than ${Input.staleAfter}), but GitHub says ${runUrl} is ${owner.status}: leaving it to its owner.`
    }
  }
  if (owner.state === 'completed') return lost
  if (age > BLIND_FACTOR * staleAfterMs) return lost
  return {
    act: false,
    line: `in progress, heartbeat ${ageText}; ${owner.why}. Without GitHub's word the watchdog acts only once the heartbeat is ${formatDuration(BLIND_FACTOR * staleAfterMs)} old.`
  }
}

/** A pause older than `max-pause` is rolled back; `undefined` when it may go on. */
export function pauseTooLong(
  recorded: RecordedState,
  now: number,
  maxPauseMs: number | undefined
): string | undefined {
  const at = timeOf(recorded.updated)
  if (maxPauseMs === undefined || at === undefined || now - at <= maxPauseMs) return undefined
  return `paused since ${recorded.updated}, longer than ${Input.maxPause} (${formatDuration(maxPauseMs)})`
}

/** The same rollout, in the same hands, with no sign of life since it was judged. */
export function sameRecord(a: RecordedState, b: RecordedState | undefined): boolean {
  return (
    b !== undefined &&
    a.phase === b.phase &&
    a.owner === b.owner &&
    a.updated === b.updated &&
    a.heartbeat === b.heartbeat
  )
}

function roundSecond(ms: number): number {
  return Math.max(1000, Math.round(ms / 1000) * 1000)
}
