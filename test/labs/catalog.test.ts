import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LabhubError } from '../../src/server/errors.js';
import { LabCatalog } from '../../src/server/labs/catalog.js';
import { FileLabSource } from '../../src/server/labs/file-labs.js';
import { LabRepository } from '../../src/server/store/labs.js';
import { dialects, freshStore } from '../support/app.js';
import { labYaml, tempLabsDir } from './helpers.js';

const quiet = { info() {}, warn() {} };

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof LabhubError && error.code === code);
}

for (const dialect of dialects) {
  describe(`catalog.resolve and replicas (${dialect})`, () => {
    let fresh: Awaited<ReturnType<typeof freshStore>>;
    let labsDir: string;
    let catalog: LabCatalog;
    let replica: LabCatalog;

    before(async () => {
      fresh = await freshStore(dialect);
      labsDir = tempLabsDir();
      writeFileSync(path.join(labsDir, 'filed.yaml'), labYaml('filed', { title: 'File v1' }));
      writeFileSync(path.join(labsDir, 'broken.yaml'), labYaml('broken', { extra: ['      type: pod'] }).replace('      type: container\n', ''));
      const repository = new LabRepository(fresh.store.db);
      const options = { rescanMs: 3_600_000 };
      // Two servers on one store and one labs directory, as replicas behind a load balancer.
      catalog = new LabCatalog(repository, new FileLabSource(labsDir, repository, quiet, options));
      replica = new LabCatalog(new LabRepository(fresh.store.db), new FileLabSource(labsDir, new LabRepository(fresh.store.db), quiet, options));
      await Promise.all([catalog.start(), replica.start()]);
    });
    after(async () => {
      await Promise.all([catalog.stop(), replica.stop()]);
      await fresh.dispose();
      rmSync(labsDir, { recursive: true, force: true });
    });

    test('replicas reading the same file record one version, not one each', async () => {
      const versions = await catalog.versions('filed');
      assert.deepEqual(
        versions.map((v) => v.version),
        [1],
      );
      assert.equal((await replica.get('filed'))?.version, 1);
    });

    test('resolve gives the latest version, or exactly the one asked for', async () => {
      await catalog.create(labYaml('stored', { title: 'One' }), { username: 'ann', role: 'author' });
      await catalog.update('stored', labYaml('stored', { title: 'Two' }), 'ann');
      const latest = await catalog.resolve('stored');
      assert.equal(latest.version, 2);
      assert.equal(latest.lab.title, 'Two');
      assert.equal(latest.source, 'store');
      const first = await replica.resolve('stored', 1);
      assert.equal(first.lab.title, 'One');
      await rejectsWith(catalog.resolve('stored', 9), 'LABHUB_NOT_FOUND');
      await rejectsWith(catalog.resolve('unknown'), 'LABHUB_NOT_FOUND');
    });

    test('a file lab keeps its old version resolvable after the file changes', async () => {
      writeFileSync(path.join(labsDir, 'filed.yaml'), labYaml('filed', { title: 'File v2' }));
      await Promise.all([catalog.rescanFiles(), replica.rescanFiles()]);
      assert.equal((await catalog.resolve('filed')).lab.title, 'File v2');
      assert.equal((await catalog.resolve('filed')).version, 2);
      assert.equal((await catalog.resolve('filed', 1)).lab.title, 'File v1');
      assert.deepEqual(
        (await catalog.versions('filed')).map((v) => v.version),
        [2, 1],
      );
    });

    test('a deleted lab cannot be started, but instances keep resolving their version', async () => {
      await catalog.create(labYaml('doomed'), { username: 'ann', role: 'author' });
      await catalog.delete('doomed');
      assert.equal(await catalog.resolveForStart('doomed'), undefined);
      await rejectsWith(catalog.resolve('doomed'), 'LABHUB_NOT_FOUND');
      assert.equal((await catalog.resolve('doomed', 1)).lab.name, 'doomed');
    });

    test('a broken lab cannot be started (409)', async () => {
      assert.equal((await catalog.get('broken'))?.status, 'broken');
      await rejectsWith(catalog.resolve('broken'), 'LABHUB_CONFLICT');
      await rejectsWith(catalog.resolveForStart('broken'), 'LABHUB_CONFLICT');
    });

    test('concurrent saves on two replicas each get their own version number', async () => {
      await catalog.create(labYaml('busy'), { username: 'ann', role: 'author' });
      const saves = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? catalog : replica).update('busy', labYaml('busy', { title: `Save ${i}` }), 'ann'));
      const versions = (await Promise.all(saves)).map((entry) => entry.version);
      assert.equal(new Set(versions).size, 6, `versions ${versions.join(', ')}`);
      assert.deepEqual(
        (await catalog.versions('busy')).map((v) => v.version),
        [7, 6, 5, 4, 3, 2, 1],
      );
    });
  });
}
