// Waiting on a zonal operation: instances.stop/suspend/start/resume answer
// at once with an operation that goes PENDING → RUNNING → DONE, polled here
// (zoneOperations.get) with a growing interval until DONE or the deadline.
//
// At the deadline an operation that is RUNNING counts as accepted: Compute
// Engine has started it, and a stop of the instance the plugin runs on is
// only DONE once the guest has shut down, which the plugin does not outlive.
// One still PENDING has not started: that is the timeout the host is told.
// Pure apart from the injected poll and sleep, so the rules are unit-tested.
import { setTimeout as sleepFor } from 'node:timers/promises';
import { PluginError } from '../../src/sdk/errors.js';
import type { ComputeMethod } from './errors.js';
import { operationError } from './errors.js';

export interface ZoneOperation {
  readonly name: string;
  readonly status: string;
  readonly progress?: number;
  readonly error?: { readonly errors?: readonly { readonly code?: string; readonly message?: string }[] };
  readonly httpErrorStatusCode?: number;
  readonly httpErrorMessage?: string;
}

export type WaitOutcome =
  | { readonly finished: true; readonly operation: ZoneOperation; readonly polls: number }
  | { readonly finished: false; readonly operation: ZoneOperation; readonly polls: number };

export interface WaitOptions {
  readonly deadlineMs: number;
  readonly firstPollMs?: number;
  readonly maxPollMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export const FIRST_POLL_MS = 250;
export const MAX_POLL_MS = 4_000;

function checkDone(method: ComputeMethod, operation: ZoneOperation): ZoneOperation {
  const errors = operation.error?.errors ?? [];
  if (errors.length > 0) throw operationError(method, operation.name, errors, operation.httpErrorStatusCode);
  return operation;
}

export async function waitForOperation(
  method: ComputeMethod,
  first: ZoneOperation,
  poll: (name: string, signal: AbortSignal) => Promise<ZoneOperation>,
  signal: AbortSignal,
  options: WaitOptions,
): Promise<WaitOutcome> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number, s: AbortSignal) => sleepFor(ms, undefined, { signal: s }));
  const deadline = now() + options.deadlineMs;
  let interval = options.firstPollMs ?? FIRST_POLL_MS;
  let operation = first;
  let polls = 0;
  while (operation.status !== 'DONE') {
    const left = deadline - now();
    if (left <= 0) {
      if (operation.status === 'RUNNING') return { finished: false, operation, polls };
      throw new PluginError(
        'DEADLINE_EXCEEDED',
        `Compute ${method}: operation ${operation.name} was still ${operation.status} after ${Math.round(options.deadlineMs / 1000)} s`,
        {
          hint:
            'Compute Engine accepted the request but had not started it; it may still run: check it with ' +
            `\`gcloud compute operations describe ${operation.name}\`; SNOOZEBOT_GCP_OPERATION_TIMEOUT_MS sets the wait`,
        },
      );
    }
    await sleep(Math.min(interval, left), signal);
    interval = Math.min(interval * 2, options.maxPollMs ?? MAX_POLL_MS);
    operation = await poll(operation.name, signal);
    polls += 1;
  }
  return { finished: true, operation: checkDone(method, operation), polls };
}
