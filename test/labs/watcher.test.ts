import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LabSummary } from '../../src/common/lab/api.js';
import { dialects, testApp, type TestApp } from '../support/app.js';
import { eventually, labYaml, tempLabsDir } from './helpers.js';

for (const dialect of dialects) {
  describe(`lab files are reloaded on change (${dialect})`, () => {
    let t: TestApp;
    let labsDir: string;
    /** An admin: the lab files here name no authors, so only admins see their problems and versions (decision 0015). */
    let admin: string;

    before(async () => {
      labsDir = tempLabsDir();
      // The interval re-read is far off: what the tests see comes from watching the directory.
      t = await testApp(dialect, { env: { LABHUB_LABS_DIR: labsDir }, labFiles: { debounceMs: 50, rescanMs: 3_600_000 } });
      admin = await t.adminCookie();
    });
    after(async () => {
      await t.close();
      rmSync(labsDir, { recursive: true, force: true });
    });

    const catalog = async (): Promise<LabSummary[]> => {
      const response = await t.app.inject({ method: 'GET', url: '/api/labs', headers: { cookie: admin } });
      assert.equal(response.statusCode, 200);
      return response.json().labs;
    };
    const entry = (name: string) => async () => (await catalog()).find((lab) => lab.name === name);

    test('an added file appears', async () => {
      assert.equal(await entry('watched')(), undefined);
      writeFileSync(path.join(labsDir, 'watched.yaml'), labYaml('watched', { title: 'First title' }));
      const lab = await eventually(entry('watched'), (lab) => lab?.status === 'ok' && lab.file !== undefined);
      assert.equal(lab?.title, 'First title');
      assert.equal(lab?.version, 1);
      assert.equal(lab?.file, 'watched.yaml');
    });

    test('a changed file becomes a new version', async () => {
      writeFileSync(path.join(labsDir, 'watched.yaml'), labYaml('watched', { title: 'Second title' }));
      const lab = await eventually(entry('watched'), (lab) => lab?.title === 'Second title');
      assert.equal(lab?.version, 2);
      const versions = await t.app.inject({ method: 'GET', url: '/api/labs/watched/versions', headers: { cookie: admin } });
      assert.deepEqual(
        versions.json().versions.map((v: { version: number; source: string; createdBy: string | null }) => [v.version, v.source, v.createdBy]),
        [
          [2, 'file', null],
          [1, 'file', null],
        ],
      );
    });

    test('a broken file is shown broken with its problems, and the server keeps serving', async () => {
      writeFileSync(path.join(labsDir, 'watched.yaml'), labYaml('watched', { extra: ['      access: [terminal, desktop]'] }));
      const lab = await eventually(entry('watched'), (lab) => lab?.status === 'broken');
      assert.deepEqual(lab?.problems, [{ path: 'spec.machines[0].access[1]', message: 'needs an image with a desktop: labhub/shell has none; use labhub/desktop', line: 11, column: 26 }]);
      assert.equal(lab?.version, 2, 'the last valid version is still recorded');
      writeFileSync(path.join(labsDir, 'watched.yaml'), 'apiVersion: labhub.io/v1\nkind: [Lab\n');
      const syntax = await eventually(entry('watched'), (lab) => lab?.problems?.[0]?.path === '(yaml)');
      assert.equal(syntax?.status, 'broken');
      assert.equal(syntax?.file, 'watched.yaml', 'a file without a readable name keeps the name it had');
    });

    test('a fixed file is valid again', async () => {
      writeFileSync(path.join(labsDir, 'watched.yaml'), labYaml('watched', { title: 'Fixed' }));
      const lab = await eventually(entry('watched'), (lab) => lab?.status === 'ok' && lab.file !== undefined);
      assert.equal(lab?.title, 'Fixed');
      assert.equal(lab?.version, 3);
    });

    test('a file written the way editors save (temp file, then rename) is picked up', async () => {
      const temp = path.join(labsDir, '.watched.yaml.swp');
      writeFileSync(temp, labYaml('watched', { title: 'Renamed into place' }));
      renameSync(temp, path.join(labsDir, 'watched.yaml'));
      await eventually(entry('watched'), (lab) => lab?.title === 'Renamed into place');
    });

    test('a deleted file disappears, and its name is free again (for admins: the file named no authors)', async () => {
      rmSync(path.join(labsDir, 'watched.yaml'));
      await eventually(entry('watched'), (lab) => lab === undefined);
      const created = await t.app.inject({ method: 'POST', url: '/api/labs', headers: { cookie: admin }, payload: { yaml: labYaml('watched') } });
      assert.equal(created.statusCode, 201);
      assert.equal(created.json().lab.source, 'store');
      assert.equal(created.json().lab.version, 5, 'version numbers of a name only grow');
    });

    test('a file cannot take the name of a lab created in labhub', async () => {
      writeFileSync(path.join(labsDir, 'impostor.yaml'), labYaml('watched', { title: 'From a file' }));
      const impostor = await eventually(
        async () => (await catalog()).find((lab) => lab.file === 'impostor.yaml'),
        (lab) => lab !== undefined,
      );
      assert.equal(impostor?.status, 'broken');
      assert.deepEqual(impostor?.problems, [{ path: 'metadata.name', message: "is the name of a lab created in labhub; give this file's lab another name", line: 4, column: 9 }]);
      const stored = (await catalog()).find((lab) => lab.name === 'watched' && lab.source === 'store');
      assert.equal(stored?.status, 'ok');
    });

    test('two files with one name: the first file keeps it', async () => {
      writeFileSync(path.join(labsDir, 'a-twin.yaml'), labYaml('twin', { title: 'A' }));
      writeFileSync(path.join(labsDir, 'b-twin.yaml'), labYaml('twin', { title: 'B' }));
      const twins = await eventually(
        async () => (await catalog()).filter((lab) => lab.name === 'twin'),
        (labs) => labs.length === 2,
      );
      assert.deepEqual(
        twins.map((lab) => [lab.file, lab.status, lab.problems?.[0]?.message]),
        [
          ['a-twin.yaml', 'ok', undefined],
          ['b-twin.yaml', 'broken', 'is already the name of the lab in a-twin.yaml'],
        ],
      );
    });

    test('files other than *.yaml and *.yml are ignored', async () => {
      writeFileSync(path.join(labsDir, 'notes.txt'), 'not a lab');
      writeFileSync(path.join(labsDir, 'other.yml'), labYaml('other-yml'));
      await eventually(entry('other-yml'), (lab) => lab?.status === 'ok');
      assert.ok(!(await catalog()).some((lab) => lab.file === 'notes.txt'));
    });
  });
}
