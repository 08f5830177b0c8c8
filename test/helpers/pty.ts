// A real pseudo-terminal session for the idle tests: util-linux `script`
// (Debian's bsdutils, an essential package, so on every Debian machine)
// opens a pty and runs `cat` on it, the way a login shell sits on its
// terminal. Writing to script's stdin is typing on that terminal: cat reads
// the keys, and the kernel moves the pty's access time as it would for
// someone typing into ssh. Chosen over a native binding such as node-pty:
// nothing to build or install, and the kernel's pty is the real one either way.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

const START_TIMEOUT_MS = 10_000;

export class PtySession {
  readonly child: ChildProcess;
  /** "/dev/pts/3". */
  readonly device: string;

  private constructor(child: ChildProcess, device: string) {
    this.child = child;
    this.device = device;
  }

  /** Opens a pty with `cat` reading it; closed (and waited for) when the test ends. */
  static async open(t: TestContext): Promise<PtySession> {
    // -e: script's exit status is cat's; -q: no banner. `tty` prints the device, then cat reads "keys" forever.
    const child = spawn('script', ['-q', '-e', '-c', 'tty; exec cat >/dev/null', '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    t.after(() => closeChild(child));
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const device = /\/dev\/pts\/\d+/.exec(out)?.[0];
      if (device !== undefined) return new PtySession(child, device);
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`script did not open a pseudo-terminal (exit ${child.exitCode}): ${stderr || out || 'no output'}`);
      }
      // script is another process; its output has no event to await but its arrival.
      await delay(20);
    }
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('script has no pid');
    return pid;
  }

  /** "pts/3", as utmp's ut_line and logind's TTY= name it. */
  get line(): string {
    return this.device.slice('/dev/'.length);
  }

  /** Keys typed on the terminal. */
  type(text: string): void {
    this.child.stdin?.write(text);
  }

  /** The terminal's access time, epoch ms: what `w` reads. */
  accessMs(): number {
    return statSync(this.device).atimeMs;
  }
}

async function closeChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('close', resolve));
  // EOF on its stdin ends cat; SIGKILL if script lingers.
  child.stdin?.end();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
}
