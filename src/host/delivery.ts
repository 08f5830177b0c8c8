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
// - no-answer: the request went out on a ready connection and nothing came
//   back: a deadline, or the connection dropped under the call (the plugin
//   died, or the machine is already going down). Outcome unknown.
import { status } from '@grpc/grpc-js';

export type Delivery = 'not-sent' | 'answered' | 'no-answer';

/** Statuses that a dropped or broken transport produces as well as a plugin can. */
const TRANSPORT_STATUSES: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.INTERNAL, status.UNKNOWN]);

/** For a call that was sent: `connectedAfter` is whether the connection was still ready when the failure came. */
export function deliveryOf(code: number, connectedAfter: boolean): Delivery {
  if (code === status.DEADLINE_EXCEEDED || code === status.CANCELLED) return 'no-answer';
  if (TRANSPORT_STATUSES.has(code) && !connectedAfter) return 'no-answer';
  return 'answered';
}
