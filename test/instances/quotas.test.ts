import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dialects, testApp, type TestApp } from '../support/app.js';
import { ProcessRuntime } from '../support/process-runtime.js';

const lab = (name: string, cpu: string, memory: string) => `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: ${name}, title: ${name} }
spec:
  limits: { maxInstancesPerUser: 5 }
  machines:
    - { name: box, type: container, image: labhub/shell, resources: { cpu: ${cpu}, memory: ${memory} } }
`;

for (const dialect of dialects) {
  describe(`quotas (${dialect})`, { timeout: 600_000 }, () => {
    let t: TestApp;
    // Quotas are policy: any runtime that really starts and stops machines will do (test/support/process-runtime.ts).
    let runtime: ProcessRuntime;
    let labsDir: string;
    let learner: string;
    let admin: string;
    const created: string[] = [];

    const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, cookie: string, payload?: unknown) => {
      const response = await t.app.inject({ method, url, headers: { cookie, origin: t.config.publicUrl }, ...(payload !== undefined && { payload: payload as object }) });
      return { status: response.statusCode, body: response.body ? response.json() : undefined };
    };
    const start = async (name: string) => {
      const response = await call('POST', '/api/instances', learner, { lab: name });
      if (response.status === 201) created.push(response.body.instance.id);
      return response;
    };

    before(async () => {
      labsDir = mkdtempSync(path.join(tmpdir(), 'labhub-quota-labs-'));
      writeFileSync(path.join(labsDir, 'half.yaml'), lab('half', '0.5', '256Mi'));
      writeFileSync(path.join(labsDir, 'big.yaml'), lab('big', '2', '256Mi'));
      runtime = new ProcessRuntime();
      t = await testApp(dialect, { runtime, env: { LABHUB_LABS_DIR: labsDir, LABHUB_QUOTA_INSTANCES: '2', LABHUB_QUOTA_CPU: '1', LABHUB_QUOTA_MEMORY: '1Gi' } });
      learner = await t.userCookie('quinn');
      admin = await t.adminCookie();
    });
    after(async () => {
      for (const id of created) await call('DELETE', `/api/instances/${id}`, admin);
      await t.close();
      await runtime.dispose();
      rmSync(labsDir, { recursive: true, force: true });
    });

    test('a lab bigger than the cpu quota is refused, naming the limit, and nothing is created', async () => {
      const refused = await start('big');
      assert.equal(refused.status, 409);
      assert.deepEqual(refused.body.error.details, { limit: 'quota.cpu', max: 1000, current: 0, requested: 2000 });
      assert.match(refused.body.error.message, /needs 2 CPU/);
      assert.deepEqual((await call('GET', '/api/instances', learner)).body.instances, []);
    });

    test('the instance quota holds; a group raises it; stopping frees cpu and starting again needs it back', async () => {
      assert.equal((await start('half')).status, 201);
      assert.equal((await start('half')).status, 201);
      const third = await start('half');
      assert.equal(third.status, 409);
      assert.deepEqual(third.body.error.details, { limit: 'quota.instances', max: 2, current: 2, requested: 1 });
      assert.deepEqual((await call('GET', '/api/me/quota', learner)).body, {
        quota: { instances: 2, cpu: 1, memoryBytes: 1024 ** 3 },
        usage: { instances: 2, cpu: 1, memoryBytes: 512 * 1024 ** 2 },
      });

      assert.equal((await call('POST', '/api/admin/groups', admin, { name: 'staff' })).status, 201);
      assert.ok((await call('POST', '/api/admin/groups/staff/members', admin, { username: 'quinn' })).status < 300);
      const raised = await call('PUT', '/api/admin/groups/staff/quota', admin, { instances: 3 });
      assert.equal(raised.status, 200, JSON.stringify(raised.body));
      assert.deepEqual(raised.body.quota, { instances: 3, cpu: null, memoryBytes: null });
      const cpuBound = await start('half');
      assert.equal(cpuBound.status, 409, 'three instances are allowed now, but not a third running one on 1 cpu');
      assert.equal(cpuBound.body.error.details.limit, 'quota.cpu');

      const [first] = created;
      assert.equal((await call('POST', `/api/instances/${first}/stop`, learner)).status, 202);
      assert.equal((await start('half')).status, 201, 'the stopped instance holds no cpu');
      const again = await call('POST', `/api/instances/${first}/start`, learner);
      assert.equal(again.status, 409, 'starting it again would take the cpu back');
      assert.equal(again.body.error.details.limit, 'quota.cpu');

      const usage = await call('GET', '/api/admin/usage', admin);
      const quinn = usage.body.users.find((u: { username: string }) => u.username === 'quinn');
      assert.deepEqual(quinn, { username: 'quinn', quota: { instances: 3, cpu: 1, memoryBytes: 1024 ** 3 }, usage: { instances: 3, cpu: 1, memoryBytes: 512 * 1024 ** 2 } });
      assert.deepEqual((await call('GET', '/api/admin/quotas', admin)).body.groups, [{ group: 'staff', quota: { instances: 3, cpu: null, memoryBytes: null } }]);
    });

    test('simultaneous starts cannot both take the last free place', async () => {
      const rush = await t.userCookie('rush');
      const starts = await Promise.all(Array.from({ length: 6 }, () => call('POST', '/api/instances', rush, { lab: 'half' })));
      for (const started of starts) if (started.status === 201) created.push(started.body.instance.id);
      assert.deepEqual(starts.map((started) => started.status).sort(), [201, 201, 409, 409, 409, 409], 'the quota of 2 instances holds');
      assert.equal((await call('GET', '/api/instances', rush)).body.instances.length, 2);
    });

    test('bad quota changes name the field; only admins may make them', async () => {
      const badCpu = await call('PUT', '/api/admin/groups/staff/quota', admin, { cpu: 'lots' });
      assert.equal(badCpu.status, 400);
      assert.match(JSON.stringify(badCpu.body), /cpu/);
      const badMemory = await call('PUT', '/api/admin/groups/staff/quota', admin, { memory: '12 parsecs' });
      assert.equal(badMemory.status, 400);
      assert.match(JSON.stringify(badMemory.body), /memory/);
      assert.equal((await call('PUT', '/api/admin/groups/staff/quota', admin, { instances: 0 })).status, 400);
      assert.equal((await call('PUT', '/api/admin/groups/staff/quota', admin, { disk: '1Gi' })).status, 400);
      assert.equal((await call('PUT', '/api/admin/groups/nosuch/quota', admin, { instances: 5 })).status, 404);
      assert.equal((await call('PUT', '/api/admin/groups/staff/quota', learner, { instances: 50 })).status, 403);
      assert.equal((await call('GET', '/api/admin/usage', learner)).status, 403);
    });
  });
}
