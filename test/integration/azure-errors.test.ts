// Each failure the Azure plugin maps reaches our host as HostError
// PLUGIN_CALL with the expected gRPC status and a message naming the cause
// and the fix; after each the plugin still serves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PluginProcess } from '../../src/host/plugin-process.js';
import { unreachableEndpoint } from '../aws/imds-server.js';
import { pluginCall, stillServing as servingAs } from '../helpers/plugin-call.js';
import { HERE, HERE_SEED, startAzurePlugin, startAzureWorld } from '../azure/world.js';

const stillServing = (plugin: PluginProcess) => servingAs(plugin, 'azure');

describe('azure plugin errors through the host', () => {
  test('no managed identity and no other credentials → UNAUTHENTICATED saying to assign one', async (t) => {
    const world = await startAzureWorld(t, { identities: { systemAssigned: false, userAssigned: [] } });
    const plugin = await startAzurePlugin(t, world.env());
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('UNAUTHENTICATED', /Azure virtualMachines\.get failed: no usable Azure credentials/, /give the VM a managed identity/),
    );
    assert.deepEqual(world.arm.requests, [], 'ARM was never called without a token');
    await stillServing(plugin);
  });

  test('a missing RBAC action → PERMISSION_DENIED naming it; reads still work', async (t) => {
    const world = await startAzureWorld(t);
    world.arm.deny('Microsoft.Compute/virtualMachines/deallocate/action');
    const plugin = await startAzurePlugin(t, world.env());
    await assert.rejects(
      plugin.client.stopInstance(),
      pluginCall(
        'PERMISSION_DENIED',
        /AuthorizationFailed: this plugin's identity may not perform Microsoft\.Compute\/virtualMachines\/deallocate\/action/,
        /add Microsoft\.Compute\/virtualMachines\/deallocate\/action to the identity's role/,
      ),
    );
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
    await stillServing(plugin);
  });

  test('a VM that does not exist → NOT_FOUND naming it', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_VM_NAME: 'gone' }));
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('NOT_FOUND', /ResourceNotFound: The Resource 'Microsoft\.Compute\/virtualMachines\/gone' under resource group 'build-rg' was not found/, /SNOOZEBOT_AZURE_VM_NAME/),
    );
    await stillServing(plugin);
  });

  test('throttling: the pipeline retries after Retry-After; once it gives up → UNAVAILABLE', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_MAX_ATTEMPTS: '2' }));
    const throttled = { status: 429, code: 'TooManyRequests', message: 'The request is being throttled.', retryAfter: 0 };
    world.arm.failNext('get', throttled);
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
    assert.deepEqual(world.arm.calls('get').map((r) => r.status), [429, 200]);
    world.arm.failAlways('get', throttled);
    await assert.rejects(
      plugin.client.instanceInfo(),
      pluginCall('UNAVAILABLE', /TooManyRequests: Azure Resource Manager is throttling this subscription's requests/, /try again in a minute/),
    );
    world.arm.clearFaults();
    await stillServing(plugin);
  });

  test('stopping a VM while an operation runs on it → FAILED_PRECONDITION (409 OperationNotAllowed)', async (t) => {
    const world = await startAzureWorld(t);
    world.arm.stallOperations();
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_OPERATION_TIMEOUT_MS: '300' }));
    // Accepted and still in progress at the deadline: that is a success, the VM is deallocating.
    await plugin.client.stopInstance();
    assert.equal(world.arm.power(HERE.vmName), 'deallocating');
    await assert.rejects(
      plugin.client.stopInstance(),
      pluginCall('FAILED_PRECONDITION', /OperationNotAllowed: Operation 'deallocate' is not allowed on VM 'build-box' since the VM is deallocating/, /changing state/),
    );
    await stillServing(plugin);
  });

  test('an ARM that never answers → DEADLINE_EXCEEDED after the request timeout', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_REQUEST_TIMEOUT_MS: '300', SNOOZEBOT_AZURE_MAX_ATTEMPTS: '1' }));
    assert.equal((await plugin.client.instanceInfo()).state, 'running');
    world.arm.hang();
    await assert.rejects(plugin.client.stopInstance(), pluginCall('DEADLINE_EXCEEDED', /did not answer in time/, /SNOOZEBOT_AZURE_REQUEST_TIMEOUT_MS/));
    world.arm.hang(false);
    assert.equal(world.arm.power(HERE.vmName), 'running');
    await stillServing(plugin);
  });

  test('an operation that fails (no capacity on start) → UNAVAILABLE with ARM\'s code', async (t) => {
    const world = await startAzureWorld(t, { arm: { vms: [{ ...HERE_SEED, power: 'deallocated' }] } });
    world.arm.failOperations('AllocationFailed', 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.');
    const plugin = await startAzurePlugin(t, world.env());
    await assert.rejects(plugin.client.startInstance(), pluginCall('UNAVAILABLE', /AllocationFailed: Allocation failed/, /no capacity/));
    assert.equal(world.arm.power(HERE.vmName), 'deallocated');
  });

  test('hibernate on a VM without hibernation → FAILED_PRECONDITION with hibernation advice', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_STOP_MODE: 'hibernate' }));
    await assert.rejects(plugin.client.stopInstance(), pluginCall('FAILED_PRECONDITION', /hibernation is not enabled/, /SNOOZEBOT_AZURE_STOP_MODE=deallocate/));
    assert.equal(world.arm.power(HERE.vmName), 'running');
  });

  test('an ARM certificate the plugin does not trust → UNAVAILABLE about TLS; plain HTTP gets no token', async (t) => {
    const world = await startAzureWorld(t);
    const untrusting = await startAzurePlugin(t, world.env({ NODE_EXTRA_CA_CERTS: undefined, SNOOZEBOT_AZURE_MAX_ATTEMPTS: '1' }));
    await assert.rejects(untrusting.client.instanceInfo(), pluginCall('UNAVAILABLE', /TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/, /NODE_EXTRA_CA_CERTS/));
    const plain = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_ARM_ENDPOINT: world.arm.url.replace('https:', 'http:'), SNOOZEBOT_AZURE_MAX_ATTEMPTS: '1' }));
    await assert.rejects(plain.client.instanceInfo(), pluginCall('INVALID_ARGUMENT', /is not an https:\/\/ address: Bearer token authentication is not permitted for non-TLS protected \(non-https\) URLs/, /set SNOOZEBOT_AZURE_ARM_ENDPOINT to an https:\/\/ URL/));
    assert.deepEqual(world.arm.requests, []);
  });

  test('IMDS unreachable or hanging → UNAVAILABLE; nothing asked of ARM', async (t) => {
    const world = await startAzureWorld(t);
    const closed = await unreachableEndpoint();
    const refused = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_IMDS_ENDPOINT: closed }));
    await assert.rejects(
      refused.client.instanceInfo(),
      pluginCall('UNAVAILABLE', /cannot tell which Azure VM this is: the instance metadata service at http:\/\/127\.0\.0\.1:\d+ did not answer/, /off Azure, set SNOOZEBOT_AZURE_SUBSCRIPTION_ID/),
    );
    world.imds.setMode('hang');
    const hanging = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_IMDS_TIMEOUT_MS: '200' }));
    await assert.rejects(hanging.client.instanceInfo(), pluginCall('UNAVAILABLE', /did not answer: no answer in time/));
    assert.deepEqual(world.arm.requests, []);
    await stillServing(hanging);
  });

  test('a malformed SNOOZEBOT_AZURE_LIST_TAG fails ListInstances only', async (t) => {
    const world = await startAzureWorld(t);
    const plugin = await startAzurePlugin(t, world.env({ SNOOZEBOT_AZURE_LIST_TAG: 'team' }));
    await assert.rejects(plugin.client.listInstances(), pluginCall('FAILED_PRECONDITION', /SNOOZEBOT_AZURE_LIST_TAG must look like Key=Value/));
    assert.equal((await plugin.client.instanceInfo()).id, HERE.vmId);
  });
});
