// The yardstick of process start-up: `node -e 0`, timed from just before
// spawn() to its exit event, i.e. what it costs this machine, right now, to
// start a Node.js process that does nothing and have its parent notice it
// has gone.
import { spawn } from 'node:child_process';

/** Wall time of one `node -e 0`, in ns. */
export function timeNodeNoop(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const ns = Number(process.hrtime.bigint() - t0);
      if (code !== 0) reject(new Error(`node -e 0 ended with code ${String(code)}, signal ${String(signal)}`));
      else resolve(ns);
    });
  });
}

/** `count` runs one after another; their durations in ns. */
export async function timeNodeNoops(count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(await timeNodeNoop());
  return out;
}
