// The soak's short form, run by npm test: ~10 plugins, ~150 faults, API and
// CLI callers throughout (test/soak/driver.ts; docs/soak.md). The long form
// is `npm run soak`. SNOOZEBOT_SOAK_SEED replays a seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak } from './driver.js';
import { SHORT_FORM } from './options.js';
import { newSeed } from './random.js';
import { formatReport } from './report.js';

test('soak (short form): the daemon survives random plugin faults under API load and accounts for every one', { timeout: 240_000 }, async () => {
  const seedText = process.env.SNOOZEBOT_SOAK_SEED;
  const seed = seedText !== undefined && /^\d+$/.test(seedText) ? Number(seedText) : newSeed();
  const report = await runSoak({ ...SHORT_FORM, seed, requireGo: Boolean(process.env.CI), requireCgroups: Boolean(process.env.CI) }, (line) => console.log(line));
  console.log(formatReport(report));
  const context = `seed ${seed}; the report is printed above`;

  assert.ok(report.daemon.aliveAtEnd, `the daemon is not alive at the end (${context})`);
  assert.deepEqual(report.daemon.exit, { code: 0, signal: null }, `the daemon's exit on SIGTERM (${context})`);
  assert.equal(report.accounts.length, SHORT_FORM.faults, `faults injected (${context})`);
  assert.deepEqual(
    report.finalPlugins.filter((p) => !p.ok).map((p) => `${p.name}: ${p.state} (${p.reason})`),
    [],
    `plugins neither serving nor failed with a reason (${context})`,
  );
  assert.deepEqual(report.leftovers.whileRunning, [], `processes left behind while the daemon runs (${context})`);
  assert.deepEqual(report.leftovers.stopped, [], `stopped processes left (${context})`);
  assert.deepEqual(report.leftovers.tmpWhileRunning, [], `in the daemon's TMPDIR for no live plugin (${context})`);
  assert.deepEqual(report.leftovers.afterStop, [], `processes left after the daemon stopped (${context})`);
  assert.deepEqual(report.leftovers.tmpAfterStop, [], `in the daemon's TMPDIR after it stopped (${context})`);
  assert.ok(
    report.fds.end.total <= report.fds.start.total + report.fds.slack,
    `the daemon's descriptors grew from ${report.fds.start.total} to ${report.fds.end.total} (${context})`,
  );
  assert.ok(
    report.fds.end.sockets <= report.fds.start.sockets + report.fds.slack,
    `the daemon's sockets grew from ${report.fds.start.sockets} to ${report.fds.end.sockets} (${context})`,
  );
  assert.ok(report.api.apiTotal.count > 0 && report.api.cliTotal.count > 0, `the API and the CLI were called (${context})`);
  assert.equal(report.api.errorCount, 0, `API/CLI errors: ${JSON.stringify(report.api.errors.slice(0, 5))} (${context})`);
  assert.ok(report.writes.mutating >= SHORT_FORM.minMutatingCalls, `mutating calls made (${context})`);
  assert.equal(report.writes.errorCount, 0, `writer calls with an undocumented answer: ${JSON.stringify(report.writes.errors.slice(0, 5))} (${context})`);
  assert.ok(
    report.writes.stopCommands >= report.writes.stops.accepted && report.writes.stopCommands <= report.writes.stops.accepted + report.writes.stops.unknown,
    `stop commands run against stops accepted (${context})`,
  );
  assert.equal(report.writes.reloadsApplied, report.writes.reloads, `SIGHUP reloads applied (${context})`);
  assert.ok(report.invariants.looks > 0, `the invariants were looked at (${context})`);
  assert.deepEqual(report.invariants.violations, [], `lifecycle invariants (${context})`);
  assert.deepEqual(
    report.accounts.filter((a) => a.missing.length > 0).map((a) => `#${a.fault.id} ${a.fault.kind} ${a.fault.plugin}: ${a.missing.join('; ')}`),
    [],
    `faults not accounted for in the daemon's log (${context})`,
  );
  // Anything else the driver found (daemon errors, stderr, deadline).
  assert.deepEqual(report.problems, [], context);
});
