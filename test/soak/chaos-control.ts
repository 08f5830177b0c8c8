// The driver's side of the chaos plugin's commands: write <pid>.cmd
// atomically, SIGUSR2 the plugin, and wait for its ack file.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseChaosAck } from './chaos-command.js';
import type { ChaosAck, ChaosCommand } from './chaos-command.js';

const ACK_POLL_MS = 10;

let nextCommandId = 1;

export function chaosCommandId(): number {
  return nextCommandId++;
}

/** Sends `command` to the chaos plugin `pid`. */
export async function sendChaos(controlDir: string, pid: number, command: ChaosCommand): Promise<void> {
  const path = join(controlDir, `${pid}.cmd`);
  await writeFile(`${path}.tmp`, JSON.stringify(command));
  await rename(`${path}.tmp`, path);
  process.kill(pid, 'SIGUSR2');
}

/** Waits for the plugin's ack of command `id`; throws after `timeoutMs`. */
export async function chaosAck(controlDir: string, pid: number, id: number, timeoutMs: number): Promise<ChaosAck>;
/** With `alive`: undefined once the plugin is gone without an answer (the daemon ended it meanwhile). */
export async function chaosAck(controlDir: string, pid: number, id: number, timeoutMs: number, alive: () => boolean): Promise<ChaosAck | undefined>;
export async function chaosAck(controlDir: string, pid: number, id: number, timeoutMs: number, alive?: () => boolean): Promise<ChaosAck | undefined> {
  const path = join(controlDir, `${pid}.${id}.ack`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const wasAlive = alive?.() ?? true;
    const text = await readFile(path, 'utf8').catch(() => undefined);
    const ack = text === undefined ? undefined : parseChaosAck(text);
    if (ack !== undefined) return ack;
    if (!wasAlive) return undefined;
    if (Date.now() > deadline) throw new Error(`chaos plugin ${pid} did not acknowledge command ${id} within ${timeoutMs} ms`);
    await delay(ACK_POLL_MS);
  }
}
