import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { DataVolume, VirtualMachine, VirtualMachineInstance } from './builders/kubevirt-types.js';
import { containerState, vmState } from './machine-state.js';
import { statusOf } from './streams.js';

const pod = (status: IPod['status'], annotations?: Record<string, string>): IPod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'm', ...(annotations && { annotations }) }, status });
const ready = [{ type: 'Ready', status: 'True' }];

test('a container machine\'s state from its Pod', () => {
  assert.deepEqual(containerState(undefined), { state: 'stopped' });
  assert.deepEqual(containerState(pod({ phase: 'Pending' })), { state: 'pending' });
  assert.deepEqual(containerState(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: 'machine', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] })), {
    state: 'starting',
    message: 'pulling the image and starting',
  });
  assert.deepEqual(containerState(pod({ phase: 'Pending', containerStatuses: [{ name: 'machine', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } } }] })), {
    state: 'failed',
    message: 'ImagePullBackOff: Back-off pulling image "x"',
  });
  assert.deepEqual(containerState(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] })), { state: 'starting' });
  assert.deepEqual(containerState(pod({ phase: 'Running', conditions: ready })), { state: 'running' });
  assert.deepEqual(containerState(pod({ phase: 'Running', conditions: ready }, { 'labhub.io/paused': 'true' })), { state: 'paused', message: 'paused (processes stopped)' });
  assert.deepEqual(containerState(pod({ phase: 'Succeeded' })), { state: 'stopped', message: 'exited with code 0' });
  assert.deepEqual(containerState(pod({ phase: 'Failed', containerStatuses: [{ name: 'machine', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }] })), {
    state: 'failed',
    message: 'exited with code 2 (Error)',
  });
  assert.deepEqual(containerState({ ...pod({ phase: 'Running', conditions: ready }), metadata: { name: 'm', deletionTimestamp: '2026-01-01T00:00:00Z' } }), { state: 'stopped', message: 'stopping' });
});

const vm = (runStrategy: 'Always' | 'Halted', printableStatus?: string): VirtualMachine => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'vm', namespace: 'ns' },
  spec: { runStrategy, template: { metadata: { labels: {} }, spec: {} as never } },
  ...(printableStatus && { status: { printableStatus } }),
});
const vmi = (phase: string, conditions: { type: string; status: string }[] = []): VirtualMachineInstance => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm' }, status: { phase, conditions } });
const disk = (phase: string, progress?: string, conditions: { type: string; status: string; message?: string }[] = []): DataVolume => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata: { name: 'vm-disk' },
  status: { phase, ...(progress && { progress }), conditions },
});

test('a VM machine\'s state from its VirtualMachine, VMI and DataVolume', () => {
  assert.deepEqual(vmState(undefined, undefined, undefined, 'KVM'), { state: 'stopped' });
  assert.deepEqual(vmState(vm('Always', 'Provisioning'), undefined, disk('ImportInProgress', '45.00%'), 'KVM'), { state: 'starting', message: 'importing the disk (45.00%)' });
  assert.deepEqual(vmState(vm('Always', 'Starting'), vmi('Scheduling'), disk('Succeeded'), 'KVM'), { state: 'starting', message: 'starting' });
  assert.deepEqual(vmState(vm('Always', 'Running'), vmi('Running', [{ type: 'Ready', status: 'False' }]), disk('Succeeded'), 'TCG, no KVM'), { state: 'starting', message: 'booting (TCG, no KVM)' });
  assert.deepEqual(vmState(vm('Always', 'Running'), vmi('Running', ready), disk('Succeeded'), 'KVM'), { state: 'running', message: 'running (KVM)' });
  assert.deepEqual(vmState(vm('Always', 'Paused'), vmi('Running', [...ready, { type: 'Paused', status: 'True' }]), undefined, 'KVM'), { state: 'paused', message: 'paused (KubeVirt paused the virtual CPUs)' });
  assert.deepEqual(vmState(vm('Halted', 'Stopped'), undefined, disk('Succeeded'), 'KVM'), { state: 'stopped' });
  assert.deepEqual(vmState(vm('Halted', 'Stopping'), vmi('Running', ready), undefined, 'KVM'), { state: 'running', message: 'running (KVM)' });
  assert.deepEqual(vmState(vm('Always', 'DataVolumeError'), undefined, disk('ImportInProgress', undefined, [{ type: 'Running', status: 'False', message: 'Unable to connect to http data source' }]), 'KVM'), {
    state: 'failed',
    message: 'importing the disk failed: Unable to connect to http data source',
  });
  assert.deepEqual(vmState(vm('Always', 'ErrImagePull'), undefined, undefined, 'KVM'), { state: 'failed', message: 'ErrImagePull' });
});

test('the exit code of a remote command from its status channel', () => {
  assert.deepEqual(statusOf('{"metadata":{},"status":"Success"}'), { exitCode: 0 });
  assert.deepEqual(statusOf('{"status":"Failure","reason":"NonZeroExitCode","message":"command terminated with non-zero exit code","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}'), {
    exitCode: 3,
    message: 'command terminated with non-zero exit code',
  });
  assert.deepEqual(statusOf('{"status":"Failure","reason":"InternalError","message":"container not found"}'), { exitCode: -1, message: 'container not found' });
  assert.equal(statusOf('not json').exitCode, -1);
});
