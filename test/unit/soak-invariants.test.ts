// The soak's lifecycle invariants, on made-up looks (test/soak/invariants.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PluginStatus } from '../../src/daemon/types.js';
import { checkLook, confirmStray, confirmSuspect } from '../soak/invariants.js';

function p(name: string, state: PluginStatus['state'], pid: number | null, extra: Partial<PluginStatus> = {}): PluginStatus {
  return {
    name,
    path: `/p/${name}`,
    wanted: 'loaded',
    wantedBy: 'config',
    wantedSince: null,
    start: 'boot',
    state,
    job: null,
    reason: '',
    since: '2026-11-30T10:00:00.000Z',
    pid,
    servingSince: null,
    restarts: 0,
    recentCrashes: 0,
    lastError: null,
    provider: null,
    apiVersion: null,
    api: null,
    tls: null,
    nextStartAt: null,
    memoryBytes: null,
    ...extra,
  };
}

const child = (pid: number) => ({ pid, cmdline: `node /p/x${pid}` });

describe('checkLook', () => {
  it('a quiet daemon: every child owned, nothing to say', () => {
    const plugins = [p('a', 'serving', 10), p('b', 'stopped', null)];
    assert.deepEqual(checkLook({ before: plugins, children: [child(10)], after: plugins }), { violations: [], suspects: [], strays: [] });
  });

  it('two live processes of one plugin across the two reads', () => {
    const result = checkLook({ before: [p('a', 'serving', 10)], children: [child(10), child(11)], after: [p('a', 'starting', 11, { since: 'later' })] });
    assert.deepEqual(result.violations, ['plugin a had two live processes at once: 10 and 11']);
  });

  it('a child nobody owns is a stray to look at again, not yet a violation', () => {
    const result = checkLook({ before: [p('a', 'stopped', null)], children: [child(12)], after: [p('a', 'stopped', null)] });
    assert.deepEqual(result.violations, []);
    assert.deepEqual(result.strays, [{ pid: 12, cmdline: 'node /p/x12' }]);
    assert.match(confirmStray(result.strays[0]!, [p('a', 'stopped', null)], [child(12)]) ?? '', /process 12 .* no plugin reports as its own/);
    assert.equal(confirmStray(result.strays[0]!, [p('a', 'stopped', null)], []), undefined, 'gone a second later: it was a start that died');
  });

  it('serving with a pid that is not alive: a suspect, a violation only if it still says so later', () => {
    const serving = p('a', 'serving', 13);
    const result = checkLook({ before: [serving], children: [], after: [serving] });
    assert.deepEqual(result.suspects, [{ name: 'a', pid: 13, since: serving.since }]);
    assert.match(confirmSuspect(result.suspects[0]!, [serving], new Set()) ?? '', /reported serving with pid 13, which is not alive/);
    assert.equal(confirmSuspect(result.suspects[0]!, [p('a', 'crashed', null, { since: 'later' })], new Set()), undefined);
  });

  it('at rest with no job, yet a pid', () => {
    const wrong = p('a', 'failed', 14);
    assert.deepEqual(checkLook({ before: [wrong], children: [child(14)], after: [wrong] }).violations, [
      'plugin a is failed with no job running, yet reports pid 14',
      'plugin a is failed with no job running, yet reports pid 14',
    ]);
  });
});
