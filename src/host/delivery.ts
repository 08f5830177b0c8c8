// Whether a failed call reached the plugin. The daemon must know before it
// repeats a call that acts (StopInstance): a request that was never written
// can be sent again; one that was written may already be acted on, however
// the call ended. Pure, so every case is tested without a plugin.
//
// - not-sent: no connection to the plugin could be made before the call, so
//   the request was never written.
// - answered: the plugin's own status came back on a connection that is
//   still up (PERMISSION_DENIED, or an UNAVAILABLE the plugin chose to send
//   because its cloud API is unreachable): the plugin is alive and said no.
//   A status the transport produces too (UNAVAILABLE: "read ECONNRESET")
//   is only taken for the plugin's when the connection still answers a
//   health check right after: the channel's own state lags behind a reset.
// - no-answer: the request went out on a ready connection and nothing came
//   back: a deadline, or the connection dropped under the call (the plugin
//   died, or the machine is already going down). Outcome unknown.
import { status } from '@grpc/grpc-js';

export type Delivery = 'not-sent' | 'answered' | 'no-answer';

/** Statuses that a dropped or broken transport produces as well as a plugin can. */
const TRANSPORT_STATUSES: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.INTERNAL, status.UNKNOWN]);

/** Whether `code` could come from the transport as well as from the plugin: then the connection tells which. */
export function ambiguous(code: number): boolean {
  return TRANSPORT_STATUSES.has(code);
}

/**
 * For a call that was sent: `connectedAfter` is whether the connection still
 * answers once the failure came; `beforeDeadline`, whether the failure came
 * before the call's own deadline. A DEADLINE_EXCEEDED that arrives before our
 * deadline is the plugin's answer (its cloud operation did not finish in its
 * time), not our timer.
 */
export function deliveryOf(code: number, connectedAfter: boolean, beforeDeadline = false): Delivery {
  if (code === status.DEADLINE_EXCEEDED && beforeDeadline) return 'answered';
  if (code === status.DEADLINE_EXCEEDED || code === status.CANCELLED) return 'no-answer';
  if (TRANSPORT_STATUSES.has(code) && !connectedAfter) return 'no-answer';
  return 'answered';
}
