/**
 * The rollout's record, kept as tags on every listener rule so any later run, from any workflow,
 * can see what is going on. Pure: encoding to and from tag maps.
 */
import { Tag } from '../names.js'
import { decodeText, encodeText, encodeParts, readTextTags, textTags } from './tag-text.js'
import type { Phase, RuleView } from './types.js'

/** What the tags say about the pair. */
export interface RecordedState {
  readonly live: string
  readonly idle: string
  readonly plan: string
  readonly phase: Phase
  readonly revision: string
  /** `owner/repo/runs/RUN_ID/ATTEMPT`: which workflow run owns the rollout. */
  readonly owner: string
  /** ISO timestamp of the last change. */
  readonly updated: string
  readonly reason: string
  /** When the owning run last showed it is alive (`Tag.heartbeat`), if it ever did. */
  readonly heartbeat?: string
  /** The commit being deployed (`Tag.commit`), where statuses go. */
  readonly commit?: string
  /** The alarm names recorded at a pause (`Tag.alarms`). */
  readonly alarms?: readonly string[]
  /** The owning job's name in its workflow (`GITHUB_JOB`, `Tag.job`), when recorded. */
  readonly job?: string
  /** The owning job's id, where GitHub could be asked for it (`Tag.jobId`). */
  readonly jobId?: number
}

/** Separates alarm names in records written before version 25's encoding (read only). */
export const ALARM_SEPARATOR = ' / '

const PHASES: readonly Phase[] = ['in-progress', 'paused', 'promoted', 'rolled-back']

/** Tags a long free text may take (`key`, `key:2`...): a reason, the alarm list. */
export const TEXT_PARTS = 4

/**
 * Makes any text one valid ELB tag value that reads back exactly (`tag-text.ts`), cut with `…`
 * only past 255 characters.
 */
export function tagValue(text: string): string {
  return encodeParts(text, 1)[0]
}

/** The reason's tags (`Tag.reason` and its continuation parts), lossless up to 4 × 255. */
export function reasonTags(reason: string): Record<string, string> {
  return textTags(Tag.reason, reason, TEXT_PARTS)
}

/**
 * The alarm list's tags: names one per line (a newline is `=0A` once encoded, and no alarm name
 * holds one), ending in a newline that marks the format. Names that do not fit are left out and
 * returned, so the caller can say so.
 */
export function alarmTags(names: readonly string[]): {
  tags: Record<string, string>
  left: string[]
} {
  const kept = [...names]
  const left: string[] = []
  // A part boundary may leave up to 11 characters unused (one encoded 4-byte character).
  const room = TEXT_PARTS * (255 - 11)
  while (kept.length > 0 && encodeText(kept.map(n => `${n}\n`).join('')).length > room) {
    left.unshift(kept.pop() as string)
  }
  return { tags: textTags(Tag.alarms, kept.map(n => `${n}\n`).join(''), TEXT_PARTS), left }
}

function decodeAlarms(tags: Readonly<Record<string, string>>): string[] | undefined {
  const text = readTextTags(tags, Tag.alarms, TEXT_PARTS)
  if (!text) return undefined
  // Written before the encoding: names joined by ' / ' (and garbled by the old cleaning).
  const names = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split(ALARM_SEPARATOR)
  const found = names.filter(Boolean)
  return found.length > 0 ? found : undefined
}

/** The tag map that records `state`. */
export function encodeState(state: RecordedState): Record<string, string> {
  return {
    [Tag.live]: tagValue(state.live),
    [Tag.idle]: tagValue(state.idle),
    [Tag.plan]: tagValue(state.plan),
    [Tag.phase]: state.phase,
    [Tag.revision]: tagValue(state.revision),
    [Tag.owner]: tagValue(state.owner),
    [Tag.updated]: tagValue(state.updated),
    ...reasonTags(state.reason),
    // Always written, '' when unknown, so a deploy never inherits the last rollout's commit.
    // ELBv2 accepts an empty value (API Reference, "Tag": Value minimum length 0).
    [Tag.commit]: state.commit && COMMIT.test(state.commit) ? state.commit : '',
    // Always written too: a record never names the job of an earlier rollout.
    [Tag.job]: tagValue(state.job ?? ''),
    [Tag.jobId]: state.jobId ? String(state.jobId) : ''
  }
}

const COMMIT = /^[0-9a-f]{40}$/

/** The recorded state, or `undefined` when the rule carries no (or a broken) record. */
export function decodeState(tags: Readonly<Record<string, string>>): RecordedState | undefined {
  const phase = tags[Tag.phase] as Phase | undefined
  if (!phase || !PHASES.includes(phase) || !tags[Tag.live] || !tags[Tag.idle]) return undefined
  const text = (key: string) => decodeText(tags[key] ?? '')
  const alarms = decodeAlarms(tags)
  const jobId = Number(tags[Tag.jobId])
  return {
    live: text(Tag.live),
    idle: text(Tag.idle),
    plan: text(Tag.plan),
    phase,
    revision: text(Tag.revision),
    owner: text(Tag.owner),
    updated: text(Tag.updated),
    reason: readTextTags(tags, Tag.reason, TEXT_PARTS) ?? '',
    ...(tags[Tag.heartbeat] ? { heartbeat: tags[Tag.heartbeat] } : {}),
    ...(tags[Tag.commit] && COMMIT.test(tags[Tag.commit]) ? { commit: tags[Tag.commit] } : {}),
    ...(alarms ? { alarms } : {}),
    ...(tags[Tag.job] ? { job: text(Tag.job) } : {}),
    ...(Number.isSafeInteger(jobId) && jobId > 0 ? { jobId } : {})
  }
}

/** This run's identity, from the runner's environment. */
export function runOwner(env: NodeJS.ProcessEnv = process.env): string {
  const repo = env.GITHUB_REPOSITORY || 'local'
  return `${repo}/runs/${env.GITHUB_RUN_ID || '0'}/${env.GITHUB_RUN_ATTEMPT || '1'}`
}

/** A link to the run that owns a rollout, for messages. */
export function ownerUrl(owner: string, env: NodeJS.ProcessEnv = process.env): string {
  const m = /^(.+)\/runs\/(\d+)\/(\d+)$/.exec(owner)
  if (!m) return owner
  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  return `${server}/${m[1]}/actions/runs/${m[2]}/attempts/${m[3]}`
}

/**
 * What main saves (core.saveState) before its first write, so the post step can put traffic
 * back if main dies mid-rollout.
 */
export interface Guard {
  readonly region: string
  readonly rules: readonly string[]
  readonly live: string
  readonly idle: string
  readonly liveService: string
  readonly idleService: string
  readonly owner: string
  /** The pair's cluster: the post step resumes the auto scaling scale-in recorded there. */
  readonly cluster?: string
  /** `role-to-assume`, so the post step gets credentials the same way. */
  readonly roleToAssume?: string
  /** `test-listener-rules`: restored to live with the others. */
  readonly testRules?: readonly string[]
  /** `audience` of the OIDC token for `roleToAssume`. */
  readonly audience?: string
  /** The commit status context main posts under: the post step posts its ending there too. */
  readonly statusContext?: string
}

/** The state recorded on the rules; the first rule that carries one speaks for all. */
export function recordedState(rules: readonly RuleView[]): RecordedState | undefined {
  for (const rule of rules) {
    const state = decodeState(rule.tags)
    if (state) return state
  }
  return undefined
}
