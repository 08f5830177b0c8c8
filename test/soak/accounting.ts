// Every injected fault must be found in the daemon's log: what the daemon
// saw (the exit of that pid with that code or signal, the health misses, the
// start failure with the right reason, the removal...) and what it did about
// it (the crash, the restart, `failed` with its reason). A fault is read only
// in its own window of log lines (between its marks, for its plugin), and
// where a pid matters, only in that process's part of the window: from its
// "plugin serving" line to the next process's.
import { BAD_START_REASON } from './faults.js';
import type { FaultRecord } from './fault.js';
import {
  crashReason,
  exits,
  isCallRetry,
  isCgroupKilled,
  isUnresponsiveKill,
  isGroupKilled,
  isHealthMiss,
  isNewInDirectory,
  servingPid,
  transitions,
} from './log-lines.js';
import type { Transition } from './log-lines.js';
import type { SoakOptions } from './options.js';
import { droppedIn } from './soak-daemon.js';
import type { SeqLine, SoakDaemon } from './soak-daemon.js';

export interface FaultAccount {
  readonly fault: FaultRecord;
  /** What the log shows, in short. */
  readonly found: string[];
  /** What it should show and does not; empty: accounted for. */
  readonly missing: string[];
}

const FAILED_REASON = /^crashed \d+ times within .*; last: /;

class Check {
  readonly found: string[] = [];
  readonly missing: string[] = [];

  expect(ok: boolean, what: string): void {
    (ok ? this.found : this.missing).push(what);
  }
}

const has = (trs: readonly Transition[], to: string, reason: string | RegExp, from?: string): boolean =>
  trs.some((t) => t.to === to && (from === undefined || t.from === from) && (typeof reason === 'string' ? t.reason === reason : reason.test(t.reason)));

const count = (trs: readonly Transition[], to: string, reason: string): number => trs.filter((t) => t.to === to && t.reason === reason).length;

/** The lines of the window that belong to the target process: up to the next process's "plugin serving". */
function targetLines(window: readonly SeqLine[], pid: number): SeqLine[] {
  const next = window.findIndex((l) => {
    const p = servingPid(l);
    return p !== undefined && p !== pid;
  });
  return next === -1 ? [...window] : window.slice(0, next);
}

/**
 * The fault asks for one death; the process may take another on its way out
 * (a Go plugin sent SIGQUIT dumps its goroutines and exits 2, or now and then
 * dies of SIGSEGV while doing so). What must hold is what the daemon
 * observed: this process's exit in the log, and a crash whose reason is that
 * exit. Recovery (serving again, or failed) is checkEnd's.
 */
function checkExit(check: Check, fault: FaultRecord, lines: readonly SeqLine[]): void {
  const expected = fault.expectedExit;
  if (expected === undefined) return;
  const how = (exit: { code: number | null; signal: string | null }) => (exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`);
  const seen = exits(lines);
  const asked = seen.find((e) => e.code === expected.code && e.signal === expected.signal);
  if (asked === undefined && endedUnresponsive(lines)) {
    check.found.push(`pid ${fault.pid} ended as unresponsive, with its cgroup, before the ${how(expected)} the fault asked for`);
    return;
  }
  const observed = asked ?? seen[0];
  check.expect(observed !== undefined, `exit of pid ${fault.pid} (the fault asked for ${how(expected)})`);
  if (observed === undefined) return;
  if (observed.code !== expected.code || observed.signal !== expected.signal) {
    check.found.push(`pid ${fault.pid} died with ${how(observed)}, not the ${how(expected)} the fault asked for`);
  }
  check.expect(has(transitions(lines), 'crashed', crashReason(observed), 'serving'), `serving → crashed (${crashReason(observed)})`);
}

/**
 * On a loaded machine a plugin busy with its fault (forking, flooding) can
 * miss its health checks before it does what the fault asked: the daemon then
 * ends it and everything in its cgroup as unresponsive, at once.
 */
function endedUnresponsive(own: readonly SeqLine[]): boolean {
  return has(transitions(own), 'crashed', /^unresponsive: \d+ health checks failed/, 'serving') && own.some(isUnresponsiveKill);
}

function checkEnd(check: Check, fault: FaultRecord, trs: readonly Transition[]): void {
  if (fault.outcome === 'parked') check.expect(has(trs, 'failed', FAILED_REASON), 'failed with the crash count as reason (left failed)');
  if (fault.reloaded) check.expect(has(trs, 'serving', 'loaded by request'), 'serving again after plugins load');
  // A flood that did its job leaves the same process serving: no transition to look for.
  if (fault.outcome === 'serving' && fault.newPid !== fault.pid) check.expect(trs.some((t) => t.to === 'serving'), 'serving again');
}

/**
 * A good binary (put back after a bad one, or after its removal) starts for
 * `reason` and serves. On a loaded machine that first start can fail (its
 * handshake later than the start timeout): the daemon then restarts it as
 * after any crash, and it serves for that reason. That crash may not be a
 * bad binary's failure (`badReason`) again.
 */
function checkServedFor(check: Check, trs: readonly Transition[], reason: string, what: string, badReason?: RegExp): void {
  const start = trs.findLastIndex((t) => t.to === 'starting' && t.reason === reason);
  const after = start < 0 ? [] : trs.slice(start);
  if (has(after, 'serving', reason)) {
    check.found.push(what);
    return;
  }
  const crash = after.find((t) => t.to === 'crashed');
  const ok = crash !== undefined && !(badReason?.test(crash.reason) ?? false) && after.some((t) => t.to === 'serving' && /after a crash$/.test(t.reason));
  if (ok) check.found.push(`${what}: its first start failed (${crash.reason}), it served after a crash restart`);
  else check.expect(false, `${what} (serving for "${reason}", or after a crash restart when that start failed)`);
}

export function accountFault(daemon: SoakDaemon, options: SoakOptions, fault: FaultRecord): FaultAccount {
  const check = new Check();
  if (fault.outcome === 'timeout' || fault.outcome === 'error') {
    check.expect(false, `the fault to resolve (${fault.outcome}: ${fault.notes.join('; ')})`);
  }
  if (fault.processGone === false) check.expect(false, `no process left behind (${fault.notes.join('; ')})`);
  const window = daemon.pluginLines(fault.plugin, fault.fromSeq, fault.toSeq);
  const own = targetLines(window, fault.pid);
  const trs = transitions(window);
  switch (fault.kind) {
    case 'kill9':
    case 'exit':
      checkExit(check, fault, own);
      break;
    case 'hang': {
      check.expect(has(transitions(own), 'crashed', /^unresponsive: \d+ health checks failed/, 'serving'), 'serving → crashed (unresponsive)');
      // The first misses can come before the SIGSTOP, on a loaded machine: they count from the process's start.
      const life = daemon.pluginLines(fault.plugin, 0, fault.toSeq);
      const since = life.findLastIndex((l) => servingPid(l) === fault.pid);
      check.expect(life.slice(Math.max(0, since)).some(isHealthMiss), 'health check misses');
      break;
    }
    case 'call-crash': {
      checkExit(check, fault, own);
      const answer = fault.callAnswer;
      // GetInstanceInfo is safe to repeat: the daemon retries it once the plugin serves again,
      // unless this crash was the one too many, which the answer must then say.
      if (answer?.status === 200) check.expect(window.some(isCallRetry), 'the call retried once the plugin served again');
      else if (answer?.status === 409 && answer.code === 'PLUGIN_FAILED') check.expect(has(trs, 'failed', FAILED_REASON), 'failed, as the 409 said');
      else check.expect(false, `GetInstanceInfo answered 200 after its retry, or 409 PLUGIN_FAILED (it answered ${answer?.status} ${answer?.code ?? ''}: ${answer?.message ?? ''})`);
      break;
    }
    case 'children':
      checkExit(check, fault, own);
      check.expect(own.some(isGroupKilled) || endedUnresponsive(own), `the left-behind child ${fault.childPid} killed with the process group (or the cgroup)`);
      break;
    case 'escape': {
      // Both children outliving the plugin would have made processGone false (checked above).
      check.expect(own.some(isCgroupKilled), `the children ${fault.childPid} and ${fault.escapedPid} (setsid) killed with the plugin's cgroup (${fault.ending})`);
      if (fault.ending === 'kill9') checkExit(check, fault, own);
      else if (fault.ending === 'unload') {
        check.expect(has(trs, 'stopped', 'unloaded by request'), 'stopped: unloaded by request');
        check.expect(has(trs, 'starting', 'loaded by request'), 'started again by plugins load');
      } else {
        // Ended as unresponsive before the restart came: the restart found it in backoff, with nothing left to stop.
        if (endedUnresponsive(own) && !has(trs, 'stopping', 'restarted by request')) check.found.push('ended as unresponsive before plugins restart came; restarted from backoff');
        else check.expect(has(trs, 'stopping', 'restarted by request'), 'stopped for plugins restart');
        check.expect(has(trs, 'starting', 'restarted by request'), 'started again by plugins restart');
      }
      break;
    }
    case 'flood': {
      // Ended by the daemon before it finished flooding (see faults.ts): its crash is what must be in the log.
      if (fault.notes.includes('the plugin was ended before it finished flooding')) {
        check.expect(has(transitions(own), 'crashed', /^(unresponsive: \d+ health checks failed|process )/, 'serving'), 'serving → crashed while it flooded');
        break;
      }
      const seen = fault.floodId === undefined ? undefined : daemon.floods.get(fault.floodId);
      const lines = options.floodLines;
      // Every line is either in the log or in the daemon's "dropped N lines" reports (its rate limit).
      const dropped = droppedIn(window);
      const logged = (seen?.stdoutLines ?? 0) + (seen?.stderrLines ?? 0);
      check.expect(logged <= 2 * lines, `no more than the ${2 * lines} flood lines logged (got ${logged})`);
      check.expect(logged + dropped >= 2 * lines, `${2 * lines} flood lines logged or counted as dropped (logged ${logged}, dropped ${dropped})`);
      const ended = seen?.endSeq !== undefined && seen.endSeq >= fault.fromSeq && seen.endSeq < fault.toSeq;
      check.expect(ended || dropped > 0, 'the flood end marker, or a dropped-lines report');
      check.expect(window.some((l) => l.line.longChar === 'o') || dropped > 0, 'the long stdout line, or a dropped-lines report');
      check.expect(window.some((l) => l.line.longChar === 'e') || dropped > 0, 'the long stderr line, or a dropped-lines report');
      // Still writing out what the daemon had not yet read, a plugin on a loaded machine can miss its
      // health checks after its end marker: the daemon then ends it as unresponsive, as any other.
      if (fault.newPid !== fault.pid && endedUnresponsive(own)) check.found.push('ended as unresponsive after it flooded');
      else check.expect(fault.newPid === fault.pid, 'still serving with the same process');
      break;
    }
    case 'garbage-handshake':
    case 'late-handshake':
    case 'handshake-flood': {
      const bad = fault.kind === 'garbage-handshake' ? 'garbage' : fault.kind === 'late-handshake' ? 'late' : 'handshake-flood';
      check.expect(count(trs, 'starting', 'binary replaced') >= 2, 'two starts for "binary replaced" (the bad binary, the good one back)');
      check.expect(has(trs, 'crashed', BAD_START_REASON[bad]), `crashed: ${BAD_START_REASON[bad]}`);
      if (fault.waitedForFailed) check.expect(has(trs, 'failed', FAILED_REASON), 'failed with the crash count as reason');
      checkServedFor(check, trs, 'binary replaced', 'serving again with the good binary', BAD_START_REASON[bad]);
      break;
    }
    case 'start-flood': {
      // The wrapper's noise comes before its handshake: on a loaded machine that
      // start can miss the start timeout, and it serves after a crash restart.
      const starts = trs.flatMap((t, i) => (t.to === 'starting' && t.reason === 'binary replaced' ? [i] : []));
      check.expect(starts.length >= 2, 'two starts for "binary replaced" (the flooding wrapper, the good binary back)');
      const wrapper = starts.length >= 2 ? trs.slice(starts[0], starts.at(-1)) : [];
      const wrapperServed = wrapper.find((t) => t.to === 'serving');
      check.expect(wrapperServed !== undefined, 'serving behind the flooding wrapper');
      if (wrapperServed !== undefined && wrapperServed.reason !== 'binary replaced') check.found.push(`the wrapper served ${wrapperServed.reason}`);
      checkServedFor(check, trs, 'binary replaced', 'serving again with the good binary');
      const dropped = droppedIn(window);
      const logged = fault.noiseLines ?? 0;
      check.expect(logged <= options.startNoiseLines, `no more than ${options.startNoiseLines} noise lines logged (got ${logged})`);
      check.expect(
        logged + dropped >= options.startNoiseLines,
        `${options.startNoiseLines} noise lines logged or counted as dropped (logged ${logged}, dropped ${dropped})`,
      );
      check.expect(window.some((l) => l.line.longChar === 'e') || dropped > 0, 'the long stderr line before the handshake, or a dropped-lines report');
      break;
    }
    case 'removed':
      check.expect(has(trs, 'stopped', 'removed from the plugins directory'), 'stopped: removed from the plugins directory');
      check.expect(window.some(isNewInDirectory), 'new plugin in the plugins directory (put back)');
      checkServedFor(check, trs, 'dropped into the plugins directory', 'serving again once put back');
      break;
    case 'crash-loop': {
      const kills = exits(window).filter((e) => e.signal === 'SIGKILL').length;
      check.expect(kills === fault.kills, `${fault.kills} exits by SIGKILL (got ${kills})`);
      check.expect(has(trs, 'failed', FAILED_REASON), 'failed with the crash count as reason');
      break;
    }
  }
  checkEnd(check, fault, trs);
  return { fault, found: check.found, missing: check.missing };
}

export function accountFaults(daemon: SoakDaemon, options: SoakOptions, faults: readonly FaultRecord[]): FaultAccount[] {
  return faults.map((fault) => accountFault(daemon, options, fault));
}
