/**
 * What restore owns and asks of its host: the traffic adapter's clock, log and region, and the
 * rule reads, cache and writes restore works through. `ElbTraffic` implements the host; restore
 * and its printed commands import these types from here, so neither imports the adapter.
 */
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { Clock, Log } from '../../engine/types.js'
import type { Entry, Found, RuleReader } from './rules.js'

/** What the adapter needs besides the client. */
export interface TrafficDeps {
  readonly clock: Clock
  readonly log: Log
  /** The client's region: ARNs are checked against it and the printed commands name it. */
  readonly region: string
}

/** What restore needs of the traffic adapter: its reader, its cached action lists, its writes. */
export interface RestoreHost {
  readonly reader: RuleReader
  readonly deps: TrafficDeps
  /** The action lists as last read, if any. */
  cached(): Found | undefined
  /** Keeps a fresh read as the cache. */
  remember(found: Found): void
  /** Writes one rule's actions; `signal` cuts the call short. Resolves with ELB's answer. */
  write(entry: Entry, actions: Action[], signal?: AbortSignal): Promise<Action[] | undefined>
}
