import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MachineFacts } from '../../plugins/local/machine.js';
import { LocalProvider } from '../../plugins/local/provider.js';
import { PluginError } from '../../src/sdk/errors.js';
import { createLogger } from '../../src/sdk/logger.js';
import { VERSION } from '../../src/version.js';

const logger = createLogger({ level: 'silent' });
const FACTS: MachineFacts = {
  id: 'machine-1',
  hostname: 'box',
  vendor: 'Acme',
  product: 'Model 42',
  bootTime: new Date('2024-01-02T03:04:05.000Z'),
};

function provider(stopCommand: string | undefined, facts: MachineFacts = FACTS): LocalProvider {
  return new LocalProvider({ facts: async () => facts, logger, stopCommand });
}

const signal = () => new AbortController().signal;

describe('LocalProvider', () => {
  it('describes itself', () => {
    const p = provider(undefined);
    assert.equal(p.name, 'local');
    assert.equal(p.version, VERSION);
    assert.equal(p.apiVersion, '0.1.0');
    assert.equal(p.dryRun, true);
    assert.equal(provider('true').dryRun, false);
  });

  it('maps machine facts to the instance', async () => {
    assert.deepEqual(await provider(undefined).getInstanceInfo(), {
      id: 'machine-1',
      name: 'box',
      type: 'Acme Model 42',
      region: 'local',
      zone: 'local',
      state: 'running',
      launchTime: FACTS.bootTime,
    });
    const bare = await provider(undefined, { ...FACTS, vendor: '', product: '', bootTime: undefined }).getInstanceInfo();
    assert.equal(bare.type, 'unknown');
    assert.equal('launchTime' in bare, false);
  });

  it('lists exactly itself', async () => {
    const list = await provider(undefined).listInstances();
    assert.equal(list.length, 1);
    assert.equal(list[0]?.id, 'machine-1');
  });

  it('in a dry run, stop records stopped and start records running', async () => {
    const p = provider(undefined);
    assert.equal(await p.stopInstance(signal()), undefined);
    assert.equal((await p.getInstanceInfo()).state, 'stopped');
    assert.equal(await p.startInstance(), undefined);
    assert.equal((await p.getInstanceInfo()).state, 'running');
  });

  it('with a stop command, start declines: the machine cannot start itself', async () => {
    const outcome = await provider('true').startInstance();
    assert.ok(outcome !== undefined);
    assert.equal(outcome.success, false);
    assert.match(outcome.errorMessage, /cannot start itself/);
  });

  it('runs the stop command and then reports stopping', async () => {
    const p = provider('true');
    assert.equal(await p.stopInstance(signal()), undefined);
    assert.equal((await p.getInstanceInfo()).state, 'stopping');
  });

  it('rejects with PluginError INTERNAL naming the command when it fails', async () => {
    const p = provider('exit 7');
    await assert.rejects(p.stopInstance(signal()), (e: unknown) => {
      assert.ok(e instanceof PluginError);
      assert.equal(e.code, 'INTERNAL');
      assert.match(e.message, /stop command "exit 7" failed/);
      assert.match(e.hint ?? '', /SNOOZEBOT_LOCAL_STOP_COMMAND/);
      return true;
    });
    assert.equal((await p.getInstanceInfo()).state, 'running', 'a failed stop leaves the state alone');
  });

  it("includes the command's stderr in the error", async () => {
    await assert.rejects(provider('echo "no permission" >&2; exit 3').stopInstance(signal()), (e: unknown) => {
      assert.ok(e instanceof PluginError);
      assert.match(e.message, /no permission/);
      return true;
    });
  });
});
