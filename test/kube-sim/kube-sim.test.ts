import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { dataDir, engineSocket, engineWithShellImage } from '../runtime-conformance/local-target.js';
import { readSocket, SimClient } from './client.js';
import { localDisk, localImage, startKubeSim, type KubeSim } from './index.js';

/** kube-sim against real Podman and QEMU: the API's answers, its controllers, and the workloads behind them. */

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: name } },
  spec: { containers: [{ name: 'main', image: 'registry.example.com/labhub/shell:1.0', resources: { limits: { memory: '128Mi', cpu: '500m' } } }], ...extra },
});

const tinyVm = (name: string, disk: 'containerDisk' | 'dataVolume', runStrategy = 'Always') => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name, labels: { machine: name } },
  spec: {
    runStrategy,
    ...(disk === 'dataVolume' && {
      dataVolumeTemplates: [
        {
          metadata: { name: `${name}-root` },
          spec: { source: { registry: { url: 'docker://registry.example.com/labhub/tiny-disk:1.0' } }, storage: { resources: { requests: { storage: '1Gi' } } } },
        },
      ],
    }),
    template: {
      metadata: { labels: { machine: name } },
      spec: {
        domain: { devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] }, resources: { requests: { memory: '256Mi' } } },
        networks: [{ name: 'default', pod: {} }],
        volumes: [disk === 'containerDisk' ? { name: 'root', containerDisk: { image: 'registry.example.com/labhub/tiny-disk:1.0' } } : { name: 'root', dataVolume: { name: `${name}-root` } }],
      },
    },
  },
});

describe('kube-sim: names of images and disks', () => {
  test('image references map to local images; disk references to local disk images', () => {
    assert.equal(localImage('registry.example.com/labhub/shell:1.0'), 'labhub/shell');
    assert.equal(localImage('localhost:5000/labhub/desktop@sha256:abcd'), 'labhub/desktop');
    assert.equal(localImage('labhub/shell'), 'labhub/shell');
    assert.equal(localDisk('docker://registry.example.com/labhub/tiny-disk:1.0'), 'tiny');
    assert.equal(localDisk('quay.io/labhub/tiny-disk'), 'tiny');
    assert.equal(localDisk('quay.io/containerdisks/fedora:40'), undefined);
  });
});

describe('kube-sim: the API', { timeout: 300_000 }, () => {
  let sim: KubeSim;
  let client: SimClient;
  const ns = 'api-checks';

  before(async () => {
    sim = await startKubeSim({ dataDir, engineSocket });
    client = new SimClient(sim);
    assert.equal((await client.request('POST', '/api/v1/namespaces', { metadata: { name: ns } })).status, 201);
  });
  after(() => sim.close());

  test('refuses requests without the bearer token', async () => {
    const response = await fetch(`${sim.url}/api/v1/namespaces`);
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { reason: string }).reason, 'Unauthorized');
  });

  test('the kubeconfig names the server and the token', () => {
    assert.match(sim.kubeconfig(), new RegExp(`server: ${sim.url}`));
    assert.match(sim.kubeconfig(), new RegExp(`token: ${sim.token}`));
  });

  test('an invalid Pod is 422 Invalid with a cause per field', async () => {
    const bad = pod('Bad_Name');
    (bad.metadata as { labels: Record<string, string> }).labels = { 'bad key!': 'x' };
    (bad.spec.containers[0] as Record<string, unknown>).image = '';
    const { status, body } = await client.request('POST', `/api/v1/namespaces/${ns}/pods`, bad);
    assert.equal(status, 422);
    assert.equal(body.kind, 'Status');
    assert.equal(body.reason, 'Invalid');
    const fields = (body.details.causes as { field: string }[]).map((cause) => cause.field).sort();
    assert.deepEqual(fields, ['metadata.labels', 'metadata.name', 'spec.containers[0].image']);
  });

  test('unknown fields are refused in core and KubeVirt kinds', async () => {
    const withUnknown = pod('strict');
    (withUnknown.spec.containers[0] as Record<string, unknown>).imagePullSecret = 'x';
    const core = await client.request('POST', `/api/v1/namespaces/${ns}/pods`, withUnknown);
    assert.equal(core.status, 422);
    assert.deepEqual(core.body.details.causes.map((c: { field: string }) => c.field), ['spec.containers[0].imagePullSecret']);
    const vm = tinyVm('strict', 'containerDisk');
    (vm.spec.template.spec.domain as Record<string, unknown>).cpus = 2;
    const kubevirt = await client.request('POST', `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines`, vm);
    assert.equal(kubevirt.status, 422);
    assert.deepEqual(kubevirt.body.details.causes.map((c: { field: string }) => c.field), ['spec.template.spec.domain.cpus']);
    assert.match(kubevirt.body.message, /unknown field "cpus"/);
  });

  test('a bad label value, a bad runStrategy and a DataVolume without a source are refused', async () => {
    const labelled = tinyVm('labels', 'containerDisk');
    labelled.spec.template.metadata.labels = { machine: '-starts-with-dash' };
    const vm = await client.request('POST', `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines`, labelled);
    assert.equal(vm.status, 422);
    assert.deepEqual(vm.body.details.causes.map((c: { field: string }) => c.field), ['spec.template.metadata.labels']);
    const strategy = await client.request('POST', `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines`, tinyVm('strategy', 'containerDisk', 'Sometimes'));
    assert.equal(strategy.status, 422);
    assert.equal(strategy.body.details.causes[0].field, 'spec.runStrategy');
    const dv = await client.request('POST', `/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes`, { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'empty' }, spec: { storage: {} } });
    assert.equal(dv.status, 422);
    assert.deepEqual(dv.body.details.causes.map((c: { field: string }) => c.field), ['spec.source']);
  });

  test('a Service name must be a DNS-1035 label (start with a letter), as the real API validates it', async () => {
    const named = (name: string) => ({ metadata: { name }, spec: { clusterIP: 'None', selector: { app: 'x' } } });
    const digit = await client.request('POST', `/api/v1/namespaces/${ns}/services`, named('1router'));
    assert.equal(digit.status, 422);
    assert.deepEqual(digit.body.details.causes.map((c: { field: string }) => c.field), ['metadata.name']);
    assert.match(digit.body.details.causes[0].message, /DNS-1035 label/);
    assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/services`, named('router1'))).status, 201);
    // Pods are DNS-1123 subdomains: a leading digit is fine there.
    assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, pod('1router'))).status, 201);
  });

  test('404 for a missing namespace or object, 409 AlreadyExists, 400 for a kind that does not fit the URL', async () => {
    const missing = await client.request('POST', '/api/v1/namespaces/nowhere/services', { metadata: { name: 'svc' }, spec: { clusterIP: 'None' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.reason, 'NotFound');
    assert.equal((await client.request('GET', `/api/v1/namespaces/${ns}/pods/nothing`)).status, 404);
    const service = { metadata: { name: 'svc', labels: { tier: 'a' } }, spec: { clusterIP: 'None', selector: { app: 'x' } } };
    assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/services`, service)).status, 201);
    const again = await client.request('POST', `/api/v1/namespaces/${ns}/services`, service);
    assert.equal(again.status, 409);
    assert.equal(again.body.reason, 'AlreadyExists');
    const wrongKind = await client.request('POST', `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } });
    assert.equal(wrongKind.status, 400);
  });

  test('merge and JSON patches, stale resourceVersions, label selectors', async () => {
    const created = await client.request('POST', `/api/v1/namespaces/${ns}/secrets`, { metadata: { name: 'cfg', labels: { tier: 'b' } }, stringData: { userdata: 'hello' } });
    assert.equal(created.status, 201);
    assert.equal(Buffer.from(created.body.data.userdata, 'base64').toString(), 'hello');
    const merged = await client.request('PATCH', `/api/v1/namespaces/${ns}/secrets/cfg`, { metadata: { labels: { extra: 'yes' } } }, 'application/merge-patch+json');
    assert.equal(merged.status, 200);
    assert.deepEqual(merged.body.metadata.labels, { tier: 'b', extra: 'yes' });
    const patched = await client.request('PATCH', `/api/v1/namespaces/${ns}/secrets/cfg`, [{ op: 'remove', path: '/metadata/labels/extra' }], 'application/json-patch+json');
    assert.deepEqual(patched.body.metadata.labels, { tier: 'b' });
    const badPatch = await client.request('PATCH', `/api/v1/namespaces/${ns}/secrets/cfg`, { metadata: { labels: { 'a/b/c': 'x' } } }, 'application/merge-patch+json');
    assert.equal(badPatch.status, 422);
    const stale = await client.request('PUT', `/api/v1/namespaces/${ns}/secrets/cfg`, { ...created.body, metadata: { ...created.body.metadata } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    const selected = await client.request('GET', `/api/v1/namespaces/${ns}/secrets?labelSelector=${encodeURIComponent('tier in (b,c),!extra')}`);
    assert.deepEqual(selected.body.items.map((s: { metadata: { name: string } }) => s.metadata.name), ['cfg']);
    assert.equal(selected.body.kind, 'SecretList');
  });

  test('a watch from a compacted resourceVersion ends with an ERROR event of code 410', async () => {
    const list = await client.request('GET', `/api/v1/namespaces/${ns}/secrets`);
    const from = list.body.metadata.resourceVersion;
    await client.request('POST', `/api/v1/namespaces/${ns}/secrets`, { metadata: { name: 'later' } });
    sim.compact();
    const watch = client.watch(`/api/v1/namespaces/${ns}/secrets?watch=1&resourceVersion=${from}`);
    await watch.ended;
    assert.equal(watch.events.length, 1);
    assert.equal(watch.events[0]?.type, 'ERROR');
    assert.equal(watch.events[0]?.object.code, 410);
    assert.equal(watch.events[0]?.object.reason, 'Expired');
  });
});

describe('kube-sim: Pods backed by Podman containers', { timeout: 300_000 }, () => {
  let sim: KubeSim;
  let client: SimClient;
  const ns = 'pods';
  let docker: Docker;

  before(async () => {
    await engineWithShellImage();
    docker = new Docker({ socketPath: engineSocket });
    sim = await startKubeSim({ dataDir, engineSocket });
    client = new SimClient(sim);
    await client.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  });
  after(() => sim.close());

  test('a watch sees a Pod go from Pending to Running with an IP and Ready', async () => {
    const list = await client.request('GET', `/api/v1/namespaces/${ns}/pods`);
    const watch = client.watch(`/api/v1/namespaces/${ns}/pods?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    try {
      assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/pods`, pod('alpha', { hostname: 'alpha' }))).status, 201);
      const perl = ['perl', '-MIO::Socket::INET', '-e', '$s=IO::Socket::INET->new(LocalPort=>7000,Listen=>5,ReuseAddr=>1) or die; while($c=$s->accept){print $c "hello-from-pod\\n"; close $c}'];
      const server = pod('server');
      (server.spec.containers[0] as Record<string, unknown>).command = perl;
      assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/pods`, server)).status, 201);
      await watch.next((event) => event.object.metadata.name === 'alpha' && event.object.status.phase === 'Running');
      const phases = watch.events.filter((event) => event.object.metadata.name === 'alpha').map((event) => `${event.type}:${event.object.status.phase}`);
      assert.equal(phases[0], 'ADDED:Pending');
      assert.ok(phases.includes('MODIFIED:Running'), phases.join(' '));
      const running = watch.events.find((event) => event.object.metadata.name === 'alpha' && event.object.status.phase === 'Running')?.object;
      assert.match(running.status.podIP, /^\d+\.\d+\.\d+\.\d+$/);
      assert.ok(running.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
      await client.waitFor(`/api/v1/namespaces/${ns}/pods/server`, (p: any) => p.status.phase === 'Running');
    } finally {
      watch.stop();
    }
  });

  test('the container has the limits of the Pod', async () => {
    const containers = await docker.listContainers({ filters: { label: ['kube-sim.io/namespace=pods', 'kube-sim.io/name=alpha'] } });
    assert.equal(containers.length, 1);
    const info = await docker.getContainer(containers[0]?.Id ?? '').inspect();
    assert.equal(info.HostConfig.Memory, 128 * 1024 * 1024);
  });

  test('exec over v5 and v4: output, exit status, stdin', async () => {
    const v5 = await client.exec(ns, 'alpha', ['sh', '-c', 'echo hi-$((6*7)) $(hostname); echo err >&2'], 'v5.channel.k8s.io');
    assert.equal(v5.protocol, 'v5.channel.k8s.io');
    assert.equal(v5.stdout, 'hi-42 alpha\n');
    assert.equal(v5.stderr, 'err\n');
    assert.deepEqual(v5.status, { metadata: {}, status: 'Success' });
    const v4 = await client.exec(ns, 'alpha', ['sh', '-c', 'exit 3'], 'v4.channel.k8s.io');
    assert.equal(v4.protocol, 'v4.channel.k8s.io');
    assert.equal(v4.status.reason, 'NonZeroExitCode');
    assert.deepEqual(v4.status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    // v5 closes stdin with [255, 0]: cat sees its end and exits.
    const stdin = await client.exec(ns, 'alpha', ['cat'], 'v5.channel.k8s.io', 'typed-in\n');
    assert.equal(stdin.stdout, 'typed-in\n');
  });

  test('exec with a TTY follows resize messages', async () => {
    const ws = await client.open(`/api/v1/namespaces/${ns}/pods/alpha/exec?command=bash&stdin=true&stdout=true&tty=true`, ['v5.channel.k8s.io']);
    try {
      ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: 132, Height: 43 }))]));
      const asking = setInterval(() => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('stty size\r')])), 300);
      try {
        await readSocket(ws, /43 132/, 20_000, 1);
      } finally {
        clearInterval(asking);
      }
    } finally {
      ws.close();
    }
  });

  test('Pods reach each other by name; portforward reaches a port of a Pod', async () => {
    const ping = await client.exec(ns, 'alpha', ['sh', '-c', 'ping -c1 -W3 server >/dev/null && echo reached'], 'v5.channel.k8s.io');
    assert.equal(ping.stdout, 'reached\n', ping.stderr);
    const ws = await client.open(`/api/v1/namespaces/${ns}/pods/server/portforward?ports=7000`, ['v4.channel.k8s.io']);
    try {
      const seen: Buffer[] = [];
      const greeting = new Promise<void>((resolve) =>
        ws.on('message', (data: Buffer) => {
          seen.push(data);
          if (Buffer.concat(seen.filter((m) => m[0] === 0).map((m) => m.subarray(1))).toString('latin1').includes('hello-from-pod')) resolve();
        }),
      );
      ws.resume();
      await greeting;
      // The first message of each channel is the port, little-endian.
      assert.deepEqual([...(seen[0] ?? [])], [0, 7000 & 0xff, 7000 >> 8]);
      assert.deepEqual([...(seen[1] ?? [])], [1, 7000 & 0xff, 7000 >> 8]);
    } finally {
      ws.close();
    }
  });

  test('a PersistentVolumeClaim keeps files across Pods; a Pod waits for its claim; a deleted claim starts empty', async () => {
    const claim = { metadata: { name: 'home' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    const withClaim = () => pod('keeper', { volumes: [{ name: 'home', persistentVolumeClaim: { claimName: 'home' } }] });
    const podPath = `/api/v1/namespaces/${ns}/pods/keeper`;
    const first = withClaim();
    (first.spec.containers[0] as Record<string, unknown>).volumeMounts = [{ name: 'home', mountPath: '/root' }];
    assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/pods`, first)).status, 201);
    const waiting = await client.waitFor(podPath, (p: any) => p.status.conditions?.some((c: { type: string; status: string }) => c.type === 'PodScheduled' && c.status === 'False'));
    assert.match(JSON.stringify(waiting.status.conditions), /persistentvolumeclaim \\"home\\" not found/);
    assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, claim)).status, 201);
    await client.waitFor(podPath, (p: any) => p.status.phase === 'Running');
    assert.equal((await client.exec(ns, 'keeper', ['sh', '-c', 'echo kept > /root/marker && echo ok'], 'v5.channel.k8s.io')).stdout, 'ok\n');
    const gone = async (path: string) => {
      await client.request('DELETE', path);
      await client.waitFor(path.replace(/\/[^/]+$/, ''), (list: any) => !list.items.some((item: any) => path.endsWith(`/${item.metadata.name}`)));
    };
    await gone(podPath);
    assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/pods`, first)).status, 201);
    await client.waitFor(podPath, (p: any) => p.status.phase === 'Running');
    assert.equal((await client.exec(ns, 'keeper', ['cat', '/root/marker'], 'v5.channel.k8s.io')).stdout, 'kept\n');
    // A claim in use waits for its Pod (pvc-protection), then goes with its files.
    const claimPath = `/api/v1/namespaces/${ns}/persistentvolumeclaims/home`;
    assert.ok((await client.request('DELETE', claimPath)).body.metadata.deletionTimestamp);
    assert.equal((await client.request('GET', claimPath)).status, 200);
    await gone(podPath);
    await client.waitFor(`/api/v1/namespaces/${ns}/persistentvolumeclaims`, (list: any) => list.items.length === 0);
    assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, claim)).status, 201);
    assert.equal((await client.request('POST', `/api/v1/namespaces/${ns}/pods`, first)).status, 201);
    await client.waitFor(podPath, (p: any) => p.status.phase === 'Running');
    assert.equal((await client.exec(ns, 'keeper', ['sh', '-c', 'cat /root/marker 2>/dev/null || echo gone'], 'v5.channel.k8s.io')).stdout, 'gone\n');
  });

  test('exec on a Pod that does not exist is 404; unsupported subprotocols are refused', async () => {
    await assert.rejects(client.open(`/api/v1/namespaces/${ns}/pods/nobody/exec?command=true&stdout=true`, ['v5.channel.k8s.io']), /^Error: 404/);
    await assert.rejects(client.open(`/api/v1/namespaces/${ns}/pods/alpha/exec?command=true&stdout=true`, ['v1.unknown']), /^Error: 400/);
  });

  test('deleting the namespace removes its Pods, containers and network, after a Terminating phase', async () => {
    const deleted = await client.request('DELETE', `/api/v1/namespaces/${ns}`);
    assert.equal(deleted.body.status.phase, 'Terminating');
    const deadline = Date.now() + 60_000;
    while ((await client.request('GET', `/api/v1/namespaces/${ns}`)).status !== 404) {
      assert.ok(Date.now() < deadline, 'the namespace went away');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal((await client.request('GET', `/api/v1/namespaces/${ns}/pods`)).body.items.length, 0);
    const filters = { label: [`kube-sim.io/namespace=${ns}`] };
    assert.deepEqual(await docker.listContainers({ all: true, filters }), []);
    assert.deepEqual(await docker.listNetworks({ filters }), []);
  });
});

describe('kube-sim: VMs backed by QEMU', { timeout: 900_000 }, () => {
  let sim: KubeSim;
  let client: SimClient;
  const ns = 'vms';
  const vmi = (name: string) => `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances/${name}`;
  const vm = (name: string) => `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines/${name}`;
  const ready = (object: any) => object.status?.phase === 'Running' && object.status.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');

  /** Opens the serial console and runs `command` once the shell answers. */
  async function onConsole(name: string, command: string, expect: RegExp): Promise<string> {
    const ws = await client.open(`/apis/subresources.kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances/${name}/console`, ['plain.kubevirt.io']);
    try {
      const prompt = readSocket(ws, /[#$] (\x1b\[6n)?$/, 60_000);
      ws.send(Buffer.from('\r'));
      await prompt;
      const output = readSocket(ws, expect, 30_000);
      ws.send(Buffer.from(`${command}\r`));
      return await output;
    } finally {
      ws.close();
    }
  }

  before(async () => {
    sim = await startKubeSim({ dataDir, engineSocket });
    client = new SimClient(sim);
    await client.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  });
  after(() => sim.close());

  test('a VM from a containerDisk gets a VMI that reaches Running, Ready, with an address; its console answers', async () => {
    assert.equal((await client.request('POST', `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines`, tinyVm('tiny', 'containerDisk'))).status, 201);
    const instance = await client.waitFor(vmi('tiny'), ready, 300_000);
    assert.equal(instance.metadata.labels.machine, 'tiny');
    assert.equal(instance.metadata.ownerReferences[0].kind, 'VirtualMachine');
    assert.match(instance.status.interfaces[0].ipAddress, /^\d+\.\d+\.\d+\.\d+$/);
    await client.waitFor(vm('tiny'), (object: any) => object.status?.printableStatus === 'Running' && object.status.ready === true);
    await onConsole('tiny', 'echo hi-$((6*7)) $(hostname)', /hi-42 tiny/);
  });

  test('vnc answers RFB', async () => {
    const ws = await client.open(`/apis/subresources.kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances/tiny/vnc`, ['plain.kubevirt.io']);
    try {
      assert.equal(await readSocket(ws, /RFB \d{3}\.\d{3}\n/, 10_000), 'RFB 003.008\n');
    } finally {
      ws.close();
    }
  });

  test('pause and unpause: the Paused condition and printableStatus follow', async () => {
    const pause = `/apis/subresources.kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances/tiny/pause`;
    assert.equal((await client.request('PUT', pause, {})).status, 200);
    await client.waitFor(vm('tiny'), (object: any) => object.status?.printableStatus === 'Paused');
    assert.equal((await client.request('PUT', pause, {})).status, 409);
    assert.equal((await client.request('PUT', pause.replace(/pause$/, 'unpause'), {})).status, 200);
    await client.waitFor(vm('tiny'), (object: any) => object.status?.printableStatus === 'Running');
    await onConsole('tiny', 'echo back-$((1+1))', /back-2/);
  });

  test('a DataVolume imports, and what the VM writes there survives a stop and start', async () => {
    assert.equal((await client.request('POST', `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines`, tinyVm('kept', 'dataVolume'))).status, 201);
    const dv = await client.waitFor(`/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes/kept-root`, (object: any) => object.status?.phase === 'Succeeded');
    assert.equal(dv.metadata.ownerReferences[0].name, 'kept');
    await client.waitFor(vmi('kept'), ready, 300_000);
    await onConsole('kept', 'echo kept-$((40+2)) >/root/marker && sync && echo written-$((1+1))', /written-2/);
    assert.equal((await client.request('PATCH', vm('kept'), { spec: { runStrategy: 'Halted' } }, 'application/merge-patch+json')).status, 200);
    await client.waitFor(vm('kept'), (object: any) => object.status?.printableStatus === 'Stopped', 120_000);
    assert.equal((await client.request('GET', vmi('kept'))).status, 404);
    assert.equal((await client.request('PUT', `/apis/subresources.kubevirt.io/v1/namespaces/${ns}/virtualmachines/kept/start`, {})).status, 202);
    await client.waitFor(vmi('kept'), ready, 300_000);
    await onConsole('kept', 'cat /root/marker', /kept-42/);
  });

  test('a DataVolume with an http source fails with a message saying kube-sim does not fetch', async () => {
    const created = await client.request('POST', `/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes`, {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: { name: 'remote' },
      spec: { source: { http: { url: 'https://example.com/disk.qcow2' } }, storage: { resources: { requests: { storage: '1Gi' } } } },
    });
    assert.equal(created.status, 201);
    const failed = await client.waitFor(`/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns}/datavolumes/remote`, (object: any) => object.status?.phase === 'Failed');
    assert.match(JSON.stringify(failed.status.conditions), /does not fetch/);
  });

  test('deleting the namespace stops the VMs and leaves no container, network or QEMU behind', async () => {
    await client.request('DELETE', `/api/v1/namespaces/${ns}`);
    const deadline = Date.now() + 120_000;
    while ((await client.request('GET', `/api/v1/namespaces/${ns}`)).status !== 404) {
      assert.ok(Date.now() < deadline, 'the namespace went away');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const docker = new Docker({ socketPath: engineSocket });
    const filters = { label: [`kube-sim.io/namespace=${ns}`] };
    assert.deepEqual(await docker.listContainers({ all: true, filters }), []);
    assert.deepEqual(await docker.listNetworks({ filters }), []);
    // QEMU carries its launcher's name (ks-<id>.<namespace>.<name>); Podman's conmon of an exec waits 300 s by design (see local-target.ts).
    const processes = spawnSync('pgrep', ['-af', `ks-[0-9a-f]{6}\\.${ns}\\.`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((line) => line.trim() && !/^\d+ \S*conmon .*--exec-attach/.test(line));
    assert.deepEqual(processes, []);
  });
});
