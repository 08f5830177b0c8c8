#!/usr/bin/env node
// Soak fixture: a plugin built on the real SDK (serve()) that behaves until
// the soak driver tells it to misbehave. A command is a JSON file
// <control>/<pid>.cmd, written atomically by the driver, and SIGUSR2 says
// "read it". Once the command has taken effect the plugin writes
// <control>/<pid>.<id>.ack (atomically), so the driver waits on an event of
// ours instead of guessing how long a flood or a fork takes.
//
// Commands (see test/soak/chaos-control.ts, which writes them):
// - exit {code}: exit with that code, as a plugin that hits a fatal error does.
// - flood {lines, longBytes}: a child writes `lines` short lines and one line
//   of `longBytes` bytes to our stdout and to our stderr (stdout after the
//   handshake is not protocol any more: the host must log or drop it, and
//   never stall on it), then we write `chaos-flood <id> end` on stderr.
// - fork: a child in our process group that ignores SIGTERM; its pid is in the ack.
// - escape: two children that ignore SIGTERM, one in our process group and one
//   that left it (setsid, a session of its own); both pids are in the ack.
//   Only a cgroup holds the second.
// - die-in-call {code}: the next GetInstanceInfo exits with `code` while the
//   call is in flight.
//
// Started through a /bin/sh wrapper that execs node on this file with
// `--control DIR` (so the pid the daemon sees is ours).
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '../../../src/sdk/index.js';
import type { CloudProvider, InstanceDetails } from '../../../src/sdk/index.js';
import { parseChaosCommand } from '../chaos-command.js';
import type { ChaosCommand } from '../chaos-command.js';

function controlDirFromArgs(): string {
  const index = process.argv.indexOf('--control');
  const dir = index >= 0 ? process.argv[index + 1] : undefined;
  if (dir === undefined) {
    process.stderr.write('chaos fixture: --control DIR is required\n');
    process.exit(2);
  }
  return dir;
}

const controlDir = controlDirFromArgs();

const INSTANCE: InstanceDetails = {
  id: 'i-chaos',
  name: 'chaos',
  type: 'chaos.small',
  region: 'chaos-1',
  zone: 'chaos-1a',
  state: 'running',
};

let dieInCall: number | undefined;

function writeAtomically(path: string, text: string): void {
  const temp = `${path}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

function ack(command: ChaosCommand, extra: Record<string, unknown> = {}): void {
  writeAtomically(join(controlDir, `${process.pid}.${command.id}.ack`), JSON.stringify({ id: command.id, ...extra }));
}

const provider: CloudProvider = {
  name: 'chaos',
  version: '0.0.1',
  apiVersion: '1',
  getInstanceInfo: async () => {
    if (dieInCall !== undefined) process.exit(dieInCall);
    return INSTANCE;
  },
  listInstances: async () => [INSTANCE],
  stopInstance: async () => undefined,
  startInstance: async () => undefined,
};

function flood(command: Extract<ChaosCommand, { action: 'flood' }>): void {
  const { id, lines, longBytes } = command;
  // A child writes straight to our fds 1 and 2 (the pipes the host reads),
  // like a tool a plugin runs that does not know stdout is taken.
  const script = [
    `seq 1 ${lines} | sed 's/^/chaos-flood ${id} stdout /'`,
    `head -c ${longBytes} /dev/zero | tr '\\0' o; echo`,
    `seq 1 ${lines} | sed 's/^/chaos-flood ${id} stderr /' >&2`,
    `head -c ${longBytes} /dev/zero | tr '\\0' e >&2; echo >&2`,
  ].join('\n');
  const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'inherit', 'inherit'] });
  child.once('exit', () => {
    process.stderr.write(`chaos-flood ${id} end\n`);
    ack(command);
  });
}

/** A child that ignores SIGTERM; `detached`: it calls setsid() and leaves our process group. */
function stubbornChild(detached: boolean): number | undefined {
  // An ignored signal stays ignored across exec, so `sleep` ignores SIGTERM too.
  const child = spawn('/bin/sh', ['-c', 'trap "" TERM; exec sleep 600'], { stdio: 'ignore', detached });
  child.unref();
  return child.pid;
}

function fork(command: Extract<ChaosCommand, { action: 'fork' }>): void {
  ack(command, { childPid: stubbornChild(false) });
}

function escape(command: Extract<ChaosCommand, { action: 'escape' }>): void {
  ack(command, { childPid: stubbornChild(false), escapedPid: stubbornChild(true) });
}

function obey(command: ChaosCommand): void {
  switch (command.action) {
    case 'exit':
      process.exit(command.code);
      break;
    case 'flood':
      flood(command);
      break;
    case 'fork':
      fork(command);
      break;
    case 'escape':
      escape(command);
      break;
    case 'die-in-call':
      dieInCall = command.code;
      ack(command);
      break;
  }
}

// Before serve(): the driver only signals a plugin the daemon reports serving,
// but the handler must exist before anyone could know our pid.
process.on('SIGUSR2', () => {
  let text: string;
  try {
    text = readFileSync(join(controlDir, `${process.pid}.cmd`), 'utf8');
  } catch (error) {
    process.stderr.write(`chaos fixture: no command to read: ${(error as Error).message}\n`);
    return;
  }
  const command = parseChaosCommand(text);
  if (command === undefined) {
    process.stderr.write(`chaos fixture: unreadable command ${JSON.stringify(text.slice(0, 200))}\n`);
    return;
  }
  obey(command);
});

await serve(provider);
