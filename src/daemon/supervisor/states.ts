// A plugin's two records (docs/architecture.md, "Plugin states"):
//
// - wanted: what the operator and the config asked for, `loaded` or
//   `unloaded`. Only an operator's load/unload/restart, the config and a
//   config reload change it; nothing the plugin does ever does.
// - observed: what its process is doing, changed only by the plugin's own
//   lifecycle jobs (job-queue.ts), one at a time.
//
// The observed state moves along the diagram below and nowhere else; a move
// the diagram does not allow is a bug in the daemon, and checkTransition
// throws instead of letting the record drift from the process.
//
//   discovered ─→ starting ─→ serving ─→ stopping ─→ stopped
//                    │           │                     │
//                    │           └──→ crashed ←────────┼── (failed start)
//                    │                  │              │
//                    │                  ├─→ backoff ─→ starting
//                    │                  └─→ failed
//                    └─→ failed (a plugin that does not match: not a crash, never retried)
//   any state but stopping ─→ refused (its file failed a trust check) ─→ stopped (its file was removed)
//
// A stop of a process in `starting` goes through `stopping` like any other;
// a start cancelled before it spawned anything goes straight to `stopped`.

export type WantedState = 'loaded' | 'unloaded';

export type ObservedState =
  | 'discovered'
  | 'starting'
  | 'serving'
  | 'stopping'
  | 'stopped'
  | 'crashed'
  | 'backoff'
  | 'failed'
  | 'refused';

/** Each state and the states it may move to. */
export const TRANSITIONS: Readonly<Record<ObservedState, readonly ObservedState[]>> = {
  discovered: ['starting', 'stopped', 'refused'],
  // failed or refused at once: a plugin that does not match (another protocol, another application's plugin) is not retried.
  starting: ['serving', 'stopping', 'stopped', 'crashed', 'failed', 'refused'],
  serving: ['stopping', 'crashed'],
  stopping: ['stopped', 'refused'],
  stopped: ['starting', 'refused', 'discovered'],
  crashed: ['backoff', 'failed'],
  backoff: ['starting', 'stopped', 'refused'],
  failed: ['starting', 'stopped', 'refused', 'discovered'],
  // A refused file that passes its checks again (fixed, replaced) starts over; a new reason replaces the old one.
  // ...and a refused file that is removed is stopped like any other before the daemon forgets it.
  refused: ['discovered', 'refused', 'stopped'],
};

/** States in which the plugin has no process and none is on its way. */
export const AT_REST: ReadonlySet<ObservedState> = new Set(['discovered', 'stopped', 'failed', 'refused']);

/** A transition the diagram does not allow, or one from a state the caller did not expect. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  readonly code = 'ILLEGAL_TRANSITION';

  constructor(
    readonly plugin: string,
    readonly from: ObservedState,
    readonly to: ObservedState,
    why: string,
  ) {
    super(`plugin ${plugin}: illegal transition ${from} → ${to} (${why})`);
  }
}

/**
 * Throws unless `from → to` is on the diagram and `from` is one of the states
 * the caller expected (`expected`), the way grpc-js's subchannel refuses a
 * transition from an unexpected state.
 */
export function checkTransition(plugin: string, from: ObservedState, to: ObservedState, expected: readonly ObservedState[]): void {
  if (!expected.includes(from)) {
    throw new IllegalTransitionError(plugin, from, to, `expected the plugin to be ${expected.join(' or ')}`);
  }
  if (!TRANSITIONS[from].includes(to)) throw new IllegalTransitionError(plugin, from, to, 'not on the state diagram');
}
