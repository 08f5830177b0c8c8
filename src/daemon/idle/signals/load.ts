// The load averages from /proc/loadavg: "0.05 0.87 1.39 1/88 30794", the
// run-queue length (runnable plus uninterruptible tasks) averaged over 1, 5
// and 15 minutes, then running/total tasks and the last pid.
import { readProcFile } from './proc-file.js';
import { join } from 'node:path';
import { FieldCursor } from './proc-fields.js';
import { SignalParseError, excerpt } from './signal-error.js';

export interface LoadAverages {
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
}

function average(cursor: FieldCursor, which: string, text: string): number {
  const field = cursor.field();
  const value = field === undefined ? Number.NaN : Number(field);
  if (!Number.isFinite(value) || value < 0) throw new SignalParseError(`/proc/loadavg ${which} average is not a number: ${excerpt(text)}`);
  return value;
}

export function parseLoadAverages(text: string): LoadAverages {
  const cursor = new FieldCursor(text);
  const load1 = average(cursor, '1-minute', text);
  const load5 = average(cursor, '5-minute', text);
  const load15 = average(cursor, '15-minute', text);
  return { load1, load5, load15 };
}

export async function readLoadAverages(root: string): Promise<LoadAverages> {
  return parseLoadAverages(readProcFile(join(root, 'proc/loadavg')));
}
