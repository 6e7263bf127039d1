import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LabDetail, LabSummary } from '../../src/common/lab/api.js';
import { dialects, testApp, type TestApp } from '../support/app.js';
import { labYaml, tempLabsDir } from './helpers.js';

const brokenFile = `apiVersion: labhub.io/v1
kind: Lab
metadata:
  name: broken-file
  authors: [teacher]
spec:
  machines:
    - name: box
      type: pod
`;

/** A file lab whose author is teacher (decision 0015). */
const fromFile = labYaml('from-file', { title: 'A file lab' }).replace('spec:\n', '  authors: [teacher]\nspec:\n');

for (const dialect of dialects) {
  describe(`labs API (${dialect})`, () => {
    let t: TestApp;
    let labsDir: string;
    let user: string;
    let author: string;
    let otherAuthor: string;
    let admin: string;

    before(async () => {
      labsDir = tempLabsDir();
      writeFileSync(path.join(labsDir, 'from-file.yaml'), fromFile);
      writeFileSync(path.join(labsDir, 'broken.yaml'), brokenFile);
      t = await testApp(dialect, { env: { LABHUB_LABS_DIR: labsDir }, labFiles: { debounceMs: 20 } });
      user = await t.userCookie('learner', 'user');
      author = await t.userCookie('teacher', 'author');
      otherAuthor = await t.userCookie('colleague', 'author');
      admin = await t.adminCookie();
    });
    after(async () => {
      await t.close();
      rmSync(labsDir, { recursive: true, force: true });
    });

    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, ...(cookie && { headers: { cookie } }) });
    const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, cookie: string, payload?: object) => t.app.inject({ method, url, headers: { cookie }, ...(payload && { payload }) });
    const catalog = async (cookie: string): Promise<LabSummary[]> => (await get('/api/labs', cookie)).json().labs;

    test('the catalog needs a login', async () => {
      assert.equal((await get('/api/labs')).statusCode, 401);
      assert.equal((await get('/api/labs/from-file')).statusCode, 401);
    });

    test('a file lab is in the catalog, normalized, without leaking fields', async () => {
      const lab = (await catalog(user)).find((entry) => entry.name === 'from-file');
      assert.deepEqual(lab, {
        name: 'from-file',
        title: 'A file lab',
        description: '',
        tags: [],
        source: 'file',
        file: 'from-file.yaml',
        status: 'ok',
        version: 1,
        machines: [{ name: 'box', type: 'container', access: ['terminal'] }],
        limits: { timeLimitSeconds: 7200, idleTimeoutSeconds: 1800, maxInstancesPerUser: 1 },
        instructionTitles: ['First'],
        updatedAt: lab?.updatedAt,
      });
      assert.ok(!Number.isNaN(Date.parse(lab?.updatedAt ?? '')));
    });

    test('a broken file is listed as broken: problems with line and column for its authors, not for users or other authors', async () => {
      const forUser = (await catalog(user)).find((entry) => entry.file === 'broken.yaml');
      assert.equal(forUser?.status, 'broken');
      assert.equal(forUser?.name, 'broken-file');
      assert.equal(forUser?.problems, undefined);
      assert.equal(forUser?.limits, null);
      const forAuthor = (await catalog(author)).find((entry) => entry.file === 'broken.yaml');
      assert.deepEqual(forAuthor?.problems, [{ path: 'spec.machines[0].type', message: 'must be one of: container, vm', line: 9, column: 13 }]);
      const detail = (await get('/api/labs/broken-file', author)).json().lab as LabDetail;
      assert.equal(detail.yaml, brokenFile);
      assert.equal((await catalog(otherAuthor)).find((entry) => entry.file === 'broken.yaml')?.problems, undefined);
    });

    test("a lab detail has machines and steps; check commands and YAML only for the lab's authors", async () => {
      const forUser = (await get('/api/labs/from-file', user)).json().lab as LabDetail;
      assert.deepEqual(forUser.machines, [
        { name: 'box', type: 'container', access: ['terminal'], image: 'labhub/shell', resources: { cpuMillis: 1000, memoryBytes: 512 * 1024 ** 2, diskBytes: null }, credentials: [] },
      ]);
      assert.deepEqual(forUser.network, { egress: 'deny' });
      assert.deepEqual(forUser.instructions, [{ title: 'First', body: '', check: { machine: 'box', timeoutSeconds: 30 } }]);
      assert.equal(forUser.yaml, undefined);
      const forAuthor = (await get('/api/labs/from-file', author)).json().lab as LabDetail;
      assert.equal(forAuthor.instructions[0]?.check?.run, 'test -f /tmp/done');
      assert.equal(forAuthor.yaml, fromFile);
      const forOtherAuthor = (await get('/api/labs/from-file', otherAuthor)).json().lab as LabDetail;
      assert.equal(forOtherAuthor.instructions[0]?.check?.run, undefined);
      assert.equal(forOtherAuthor.yaml, undefined);
    });

    test('an unknown lab is 404 for reads and writes', async () => {
      assert.equal((await get('/api/labs/nope', user)).statusCode, 404);
      assert.equal((await get('/api/labs/nope/versions', author)).statusCode, 404);
      assert.equal((await get('/api/labs/nope/versions/1', author)).statusCode, 404);
      assert.equal((await send('PUT', '/api/labs/nope', author, { yaml: labYaml('nope') })).statusCode, 404);
      assert.equal((await send('DELETE', '/api/labs/nope', author)).statusCode, 404);
    });

    test('a user cannot write or validate labs (403)', async () => {
      const create = await send('POST', '/api/labs', user, { yaml: labYaml('by-user') });
      assert.equal(create.statusCode, 403);
      assert.equal(create.json().error.code, 'LABHUB_FORBIDDEN');
      assert.equal((await send('PUT', '/api/labs/from-file', user, { yaml: labYaml('from-file') })).statusCode, 403);
      assert.equal((await send('DELETE', '/api/labs/from-file', user)).statusCode, 403);
      assert.equal((await send('POST', '/api/labs/validate', user, { yaml: labYaml('x') })).statusCode, 403);
      assert.equal((await get('/api/labs/from-file/versions', user)).statusCode, 403);
      assert.ok(!(await catalog(user)).some((entry) => entry.name === 'by-user'));
    });

    test('an author creates a lab, saves versions and reads each one back', async () => {
      const v1 = labYaml('authored', { title: 'Version one' });
      const created = await send('POST', '/api/labs', author, { yaml: v1 });
      assert.equal(created.statusCode, 201, created.body);
      const lab = created.json().lab as LabDetail;
      assert.equal(lab.source, 'store');
      assert.equal(lab.version, 1);
      assert.equal(lab.yaml, v1);
      assert.equal(lab.file, undefined);

      const v2 = labYaml('authored', { title: 'Version two', extra: ['      access: [terminal, { http: 8080 }]'] });
      const updated = await send('PUT', '/api/labs/authored', author, { yaml: v2, baseVersion: 1 });
      assert.equal(updated.statusCode, 200, updated.body);
      assert.equal(updated.json().lab.version, 2);
      assert.deepEqual(updated.json().lab.machines[0].access, ['terminal', { http: 8080 }]);

      const summary = (await catalog(user)).find((entry) => entry.name === 'authored');
      assert.equal(summary?.title, 'Version two');
      assert.equal(summary?.version, 2);

      const versions = (await get('/api/labs/authored/versions', author)).json().versions;
      assert.deepEqual(
        versions.map((v: { version: number; createdBy: string; source: string }) => [v.version, v.createdBy, v.source]),
        [
          [2, 'teacher', 'store'],
          [1, 'teacher', 'store'],
        ],
      );
      assert.equal((await get('/api/labs/authored/versions/1', author)).json().version.yaml, v1);
      assert.equal((await get('/api/labs/authored/versions/2', author)).json().version.yaml, v2);
      assert.equal((await get('/api/labs/authored/versions/3', author)).statusCode, 404);
      assert.equal((await get('/api/labs/authored/versions/zero', author)).statusCode, 400);

      const unchanged = await send('PUT', '/api/labs/authored', author, { yaml: v2 });
      assert.equal(unchanged.json().lab.version, 2, 'saving the same text adds no version');
    });

    test('a save based on an old version is refused (409) instead of overwriting', async () => {
      await send('POST', '/api/labs', author, { yaml: labYaml('contended') });
      assert.equal((await send('PUT', '/api/labs/contended', admin, { yaml: labYaml('contended', { title: 'By admin' }), baseVersion: 1 })).statusCode, 200);
      const stale = await send('PUT', '/api/labs/contended', author, { yaml: labYaml('contended', { title: 'By author' }), baseVersion: 1 });
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.json().error.details.latestVersion, 2);
    });

    test('invalid YAML is refused with 400 naming the path, line and column', async () => {
      const invalid = labYaml('invalid', { extra: ['      access: [terminal, ssh]'] });
      const response = await send('POST', '/api/labs', author, { yaml: invalid });
      assert.equal(response.statusCode, 400);
      const body = response.json();
      assert.equal(body.error.code, 'LABHUB_VALIDATION');
      assert.deepEqual(body.error.details.problems, [{ path: 'spec.machines[0].access[1]', message: 'must be terminal, desktop or {http: PORT}', line: 11, column: 26 }]);
      assert.match(body.error.message, /spec\.machines\[0\]\.access\[1\].*line 11, column 26/);

      const syntax = await send('POST', '/api/labs', author, { yaml: 'apiVersion: labhub.io/v1\nkind: [Lab\n' });
      assert.equal(syntax.statusCode, 400);
      assert.equal(syntax.json().error.details.problems[0].path, '(yaml)');
      assert.equal(syntax.json().error.details.problems[0].line, 3);

      const missing = await send('POST', '/api/labs', author, {});
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json().error.details.problems[0].path, 'body.yaml');
    });

    test('a new version must keep the lab name (400 at metadata.name)', async () => {
      await send('POST', '/api/labs', author, { yaml: labYaml('keeps-name') });
      const renamed = await send('PUT', '/api/labs/keeps-name', author, { yaml: labYaml('other-name') });
      assert.equal(renamed.statusCode, 400);
      assert.deepEqual(renamed.json().error.details.problems[0], {
        path: 'metadata.name',
        message: 'must be keeps-name, the lab being changed; to rename a lab, create one with the new name and delete this one',
        line: 4,
        column: 9,
      });
    });

    test('file labs cannot be changed or deleted through the API (409 naming the file)', async () => {
      const put = await send('PUT', '/api/labs/from-file', admin, { yaml: labYaml('from-file', { title: 'Changed' }) });
      assert.equal(put.statusCode, 409);
      assert.match(put.json().error.message, /from-file\.yaml/);
      const del = await send('DELETE', '/api/labs/from-file', admin);
      assert.equal(del.statusCode, 409);
      assert.equal((await catalog(user)).find((entry) => entry.name === 'from-file')?.title, 'A file lab');
    });

    test('a name taken by a file lab or another lab cannot be created (409)', async () => {
      const fromFile = await send('POST', '/api/labs', author, { yaml: labYaml('from-file') });
      assert.equal(fromFile.statusCode, 409);
      assert.match(fromFile.json().error.message, /from-file\.yaml/);
      assert.deepEqual(fromFile.json().error.details.problems, [{ path: 'metadata.name', message: 'is taken', line: 4, column: 9 }]);
      const brokenName = await send('POST', '/api/labs', author, { yaml: labYaml('broken-file') });
      assert.equal(brokenName.statusCode, 409, 'a broken file still holds its name');
      await send('POST', '/api/labs', author, { yaml: labYaml('twice') });
      const twice = await send('POST', '/api/labs', admin, { yaml: labYaml('twice') });
      assert.equal(twice.statusCode, 409);
    });

    test('deleting a lab removes it from the catalog; recreating it continues the version numbers', async () => {
      await send('POST', '/api/labs', author, { yaml: labYaml('short-lived') });
      await send('PUT', '/api/labs/short-lived', author, { yaml: labYaml('short-lived', { title: 'Second' }) });
      const deleted = await send('DELETE', '/api/labs/short-lived', author);
      assert.equal(deleted.statusCode, 204);
      assert.equal((await get('/api/labs/short-lived', user)).statusCode, 404);
      assert.ok(!(await catalog(user)).some((entry) => entry.name === 'short-lived'));
      assert.equal((await get('/api/labs/short-lived/versions', author)).statusCode, 404);
      const again = await send('POST', '/api/labs', author, { yaml: labYaml('short-lived', { title: 'Again' }) });
      assert.equal(again.statusCode, 201);
      assert.equal(again.json().lab.version, 3);
    });

    test('validate checks YAML for the editor without saving it', async () => {
      const good = await send('POST', '/api/labs/validate', author, { yaml: labYaml('not-saved') });
      assert.deepEqual(good.json(), { ok: true, problems: [] });
      const bad = await send('POST', '/api/labs/validate', author, { yaml: labYaml('not-saved', { extra: ['      disk: { image: tiny }'] }) });
      assert.deepEqual(bad.json(), { ok: false, problems: [{ path: 'spec.machines[0].disk', message: 'is only allowed on VMs (type: vm)', line: 11, column: 7 }] });
      const empty = await send('POST', '/api/labs/validate', author, { yaml: '' });
      assert.equal(empty.json().ok, false);
      assert.equal((await get('/api/labs/not-saved', author)).statusCode, 404);
    });

    test('the labs routes are in the OpenAPI document', async () => {
      const openapi = (await get('/api/openapi.json')).json();
      for (const route of ['/api/labs', '/api/labs/validate', '/api/labs/{lab}', '/api/labs/{lab}/versions', '/api/labs/{lab}/versions/{version}', '/api/schema/lab.json']) {
        assert.ok(openapi.paths[route], route);
      }
      assert.ok(openapi.paths['/api/labs/{lab}'].put.requestBody);
    });

    test('lab writes are in the audit log', async () => {
      const audit = await t.store.db.selectFrom('audit_events').select(['actor', 'action', 'target']).where('action', 'like', 'lab.%').execute();
      assert.ok(audit.some((event) => event.actor === 'teacher' && event.action === 'lab.create' && event.target === 'authored'));
      assert.ok(audit.some((event) => event.action === 'lab.update' && event.target === 'authored'));
      assert.ok(audit.some((event) => event.action === 'lab.delete' && event.target === 'short-lived'));
    });
  });
}
