import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LabDetail } from '../../src/common/lab/api.js';
import { LocalRuntime } from '../../src/server/runtime/local/local-runtime.js';
import { dataDir, engineSocket } from '../runtime-conformance/local-target.js';
import { dialects, testApp, type TestApp } from '../support/app.js';
import { labYaml, tempLabsDir } from './helpers.js';

/** `labYaml` with lines added under metadata (e.g. `  authors: [ann]`) and under spec (e.g. `  groups: [class-a]`). */
function lab(name: string, options: { metadata?: string[]; spec?: string[]; title?: string } = {}): string {
  return labYaml(name, { ...(options.title !== undefined && { title: options.title }) })
    .replace('spec:\n', `${(options.metadata ?? []).map((line) => `${line}\n`).join('')}spec:\n${(options.spec ?? []).map((line) => `${line}\n`).join('')}`)
    .replace('      image: labhub/shell\n', '      image: labhub/shell\n      resources: { cpu: 250m, memory: 128Mi }\n');
}

/** A gated lab: step 1 has no check, step 2's check gates step 3, whose text and check are the answers. */
const gatedLab = `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: gated, title: Gated }
spec:
  guide: { gated: true }
  machines:
    - { name: box, type: container, image: labhub/shell }
  instructions:
    - title: Read
      body: Intro for everyone.
    - title: Try
      body: Make /tmp/ready.
      check: { machine: box, run: "test -f /tmp/ready-ANSWER-TWO" }
    - title: Later
      body: The SECRET-BODY of step three.
      check: { machine: box, run: "grep SECRET-CHECK /etc/motd" }
`;

/**
 * Issue 15, findings 3 and 4: labs have owners (whoever created them in labhub) and co-authors
 * (`metadata.authors`); only they and admins change a lab, read its versions and learners'
 * progress, and watch learners' instances. Learners never get more of a lab than its steps API shows.
 */
for (const dialect of dialects) {
  describe(`lab ownership (${dialect})`, { timeout: 300_000 }, () => {
    let t: TestApp;
    let runtime: LocalRuntime;
    let labsDir: string;
    let admin: string;
    /** ann and bob are authors; lea is a learner in class-a; out a learner in no group; carl a third author. */
    let ann: string;
    let bob: string;
    let carl: string;
    let lea: string;
    let out: string;
    const instances: string[] = [];

    const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, cookie: string, payload?: object) =>
      t.app.inject({ method, url, headers: { cookie }, ...(payload && { payload }) });

    before(async () => {
      labsDir = tempLabsDir();
      writeFileSync(path.join(labsDir, 'file-owned.yaml'), lab('file-owned', { metadata: ['  authors: [ann]'], spec: ['  groups: [class-a]'] }));
      writeFileSync(path.join(labsDir, 'file-orphan.yaml'), lab('file-orphan', { spec: ['  groups: [class-a]'] }));
      runtime = new LocalRuntime({ engineSocket, dataDir });
      t = await testApp(dialect, { runtime, env: { LABHUB_LABS_DIR: labsDir } });
      admin = await t.adminCookie();
      ann = await t.userCookie('ann', 'author');
      bob = await t.userCookie('bob', 'author');
      carl = await t.userCookie('carl', 'author');
      lea = await t.userCookie('lea', 'user');
      out = await t.userCookie('out', 'user');
      assert.equal((await call('POST', '/api/admin/groups', admin, { name: 'class-a' })).statusCode, 201);
      assert.equal((await call('POST', '/api/admin/groups/class-a/members', admin, { username: 'lea' })).statusCode, 200);
      for (const yaml of [lab('open-lab', { title: 'By ann' }), lab('restricted', { spec: ['  groups: [class-a]'] }), gatedLab]) {
        const created = await call('POST', '/api/labs', ann, { yaml });
        assert.equal(created.statusCode, 201, created.body);
      }
    });

    after(async () => {
      for (const id of instances) await call('DELETE', `/api/instances/${id}`, admin);
      for (const id of instances) await runtime.destroy(id);
      await t.close();
      rmSync(labsDir, { recursive: true, force: true });
    });

    test('another author can neither overwrite nor delete a lab they do not own: 403, or 404 for a lab they may not see', async () => {
      const overwrite = await call('PUT', '/api/labs/open-lab', bob, { yaml: lab('open-lab', { title: 'Taken over by bob' }) });
      assert.equal(overwrite.statusCode, 403, overwrite.body);
      assert.equal(overwrite.json().error.code, 'LABHUB_FORBIDDEN');
      assert.equal((await call('DELETE', '/api/labs/open-lab', bob)).statusCode, 403);
      const kept = (await call('GET', '/api/labs/open-lab', lea)).json().lab as LabDetail;
      assert.equal(kept.title, 'By ann');
      assert.equal(kept.version, 1);

      for (const [method, payload] of [['PUT', { yaml: lab('restricted', { title: 'Mine now' }) }], ['DELETE', undefined], ['GET', undefined]] as const) {
        const hidden = await call(method, '/api/labs/restricted', bob, payload);
        assert.equal(hidden.statusCode, 404, `${method}: ${hidden.body}`);
        assert.deepEqual(hidden.json().error, { code: 'LABHUB_NOT_FOUND', message: 'There is no lab "restricted".' }, 'the same answer as an unknown lab');
      }
      // Bad text changes nothing: who may write is decided before the text is read.
      assert.equal((await call('PUT', '/api/labs/restricted', bob, { yaml: 'not: a lab' })).statusCode, 404);
      assert.equal((await call('GET', '/api/labs/restricted', lea)).json().lab.version, 1);

      const own = await call('PUT', '/api/labs/open-lab', ann, { yaml: lab('open-lab', { title: 'By ann, again' }), baseVersion: 1 });
      assert.equal(own.statusCode, 200, own.body);
      assert.equal((await call('PUT', '/api/labs/restricted', admin, { yaml: lab('restricted', { spec: ['  groups: [class-a]'], title: 'Admin fix' }) })).statusCode, 200);
    });

    test("a lab's name is taken while it exists (409), and a deleted lab's name stays with its authors", async () => {
      const taken = await call('POST', '/api/labs', bob, { yaml: lab('open-lab') });
      assert.equal(taken.statusCode, 409, taken.body);
      const hiddenTaken = await call('POST', '/api/labs', bob, { yaml: lab('restricted') });
      assert.equal(hiddenTaken.statusCode, 409, hiddenTaken.body);

      assert.equal((await call('POST', '/api/labs', ann, { yaml: lab('gone') })).statusCode, 201);
      assert.equal((await call('DELETE', '/api/labs/gone', ann)).statusCode, 204);
      const revived = await call('POST', '/api/labs', bob, { yaml: lab('gone', { title: 'Bob reuses the name' }) });
      assert.equal(revived.statusCode, 409, revived.body);
      assert.equal((await call('GET', '/api/labs/gone', bob)).statusCode, 404);
      const again = await call('POST', '/api/labs', ann, { yaml: lab('gone', { title: 'Back' }) });
      assert.equal(again.statusCode, 201, again.body);
      assert.equal(again.json().lab.version, 2);
    });

    test("a restricted lab's versions, version YAML and learners' progress are for its authors and admins only", async () => {
      for (const url of ['/api/labs/restricted/versions', '/api/labs/restricted/versions/1', '/api/labs/restricted/progress', '/api/labs/restricted/progress.csv']) {
        const asBob = await call('GET', url, bob);
        assert.equal(asBob.statusCode, 404, `${url} as bob: ${asBob.body.slice(0, 200)}`);
        assert.doesNotMatch(asBob.body, /test -f|First/, 'nothing of the lab');
        assert.equal((await call('GET', url, lea)).statusCode, 403, `${url} as a learner`);
        assert.equal((await call('GET', url, out)).statusCode, 403, `${url} as an outsider`);
        assert.equal((await call('GET', url, ann)).statusCode, 200, `${url} as its owner`);
        assert.equal((await call('GET', url, admin)).statusCode, 200, `${url} as admin`);
      }
      assert.match((await call('GET', '/api/labs/restricted/versions/1', ann)).json().version.yaml, /test -f \/tmp\/done/);
      // A lab bob may see but does not own: 403, not 404.
      for (const url of ['/api/labs/open-lab/versions', '/api/labs/open-lab/versions/1', '/api/labs/open-lab/progress', '/api/labs/open-lab/progress.csv']) {
        assert.equal((await call('GET', url, bob)).statusCode, 403, url);
      }
      assert.equal((await call('GET', '/api/labs/nope/progress', admin)).statusCode, 404);
    });

    test("saving someone else's lab does not make an author a watcher of its learners", async () => {
      const started = await call('POST', '/api/instances', lea, { lab: 'open-lab' });
      assert.equal(started.statusCode, 201, started.body);
      const id = started.json().instance.id as string;
      instances.push(id);
      const save = await call('PUT', '/api/labs/open-lab', bob, { yaml: lab('open-lab', { title: 'bob was here' }) });
      for (const url of [`/api/instances/${id}`, `/api/instances/${id}/steps`]) {
        assert.equal((await call('GET', url, bob)).statusCode, 404, `${url} as bob, after he tried to save the lab`);
        assert.equal((await call('GET', url, ann)).statusCode, 200, `${url} as the lab's owner`);
        assert.equal((await call('GET', url, out)).statusCode, 404, `${url} as an outsider`);
      }
      assert.equal(save.statusCode, 403);
      const progress = (await call('GET', '/api/labs/open-lab/progress', ann)).json();
      assert.deepEqual(progress.learners.map((learner: { username: string }) => learner.username), ['lea']);
      const csv = await call('GET', '/api/labs/open-lab/progress.csv', ann);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      assert.match(csv.body, /^"username","instance","status",/);
      assert.match(csv.body, new RegExp(`\\n"lea","${id}",`));
    });

    test('owners name co-authors; co-authors edit and watch but do not change who the authors are', async () => {
      const named = await call('PUT', '/api/labs/open-lab/authors', ann, { authors: ['bob'] });
      assert.equal(named.statusCode, 200, named.body);
      const detail = named.json().lab as LabDetail;
      assert.deepEqual(detail.authorship, { owner: 'ann', authors: ['bob'], you: 'owner' });
      assert.match(detail.yaml ?? '', /\n {2}authors: \[ bob \]\n/, 'written into metadata, as a flow list');
      const latest = detail.version ?? 0;

      const edited = await call('PUT', '/api/labs/open-lab', bob, { yaml: detail.yaml?.replace(/title: .*/, 'title: Co-written') ?? '', baseVersion: latest });
      assert.equal(edited.statusCode, 200, edited.body);
      assert.deepEqual(edited.json().lab.authorship, { owner: 'ann', authors: ['bob'], you: 'author' });
      assert.equal((await call('GET', '/api/labs/open-lab/versions/1', bob)).statusCode, 200);
      assert.equal((await call('GET', `/api/instances/${instances[0]}`, bob)).statusCode, 200, 'a co-author watches learners');

      const widened = await call('PUT', '/api/labs/open-lab', bob, { yaml: (edited.json().lab as LabDetail).yaml?.replace('bob', 'bob, carl') ?? '' });
      assert.equal(widened.statusCode, 403, widened.body);
      assert.equal(widened.json().error.details.problems[0].path, 'metadata.authors');
      assert.equal((await call('PUT', '/api/labs/open-lab/authors', bob, { authors: ['bob', 'carl'] })).statusCode, 403);
      assert.equal((await call('GET', '/api/labs/open-lab/versions', carl)).statusCode, 403);

      const learner = await call('PUT', '/api/labs/open-lab/authors', ann, { authors: ['lea'] });
      assert.equal(learner.statusCode, 400, learner.body);
      assert.deepEqual(learner.json().error.details.problems.map((problem: { path: string }) => problem.path), ['body.authors[0]']);
      const unknown = await call('PUT', '/api/labs/open-lab', ann, { yaml: lab('open-lab', { metadata: ['  authors: [bob, nobody]'] }) });
      assert.equal(unknown.statusCode, 400, unknown.body);
      assert.equal(unknown.json().error.details.problems[0].path, 'metadata.authors[1]');

      assert.equal((await call('PUT', '/api/labs/open-lab/authors', ann, { authors: [] })).statusCode, 200);
      assert.equal((await call('PUT', '/api/labs/open-lab', bob, { yaml: lab('open-lab') })).statusCode, 403, 'removed: no longer an author');
      assert.equal((await call('GET', `/api/instances/${instances[0]}`, bob)).statusCode, 404);
      const audit = await t.store.db.selectFrom('audit_events').select(['actor', 'action', 'target']).where('action', '=', 'lab.authors').execute();
      assert.ok(audit.some((event) => event.actor === 'ann' && event.target === 'open-lab'));
    });

    test('a file lab is owned by the authors its file names, else by admins only', async () => {
      const forAnn = (await call('GET', '/api/labs/file-owned', ann)).json().lab as LabDetail;
      assert.deepEqual(forAnn.authorship, { owner: null, authors: ['ann'], you: 'author' });
      assert.match(forAnn.yaml ?? '', /authors: \[ann\]/);
      assert.equal((await call('GET', '/api/labs/file-owned/versions/1', ann)).statusCode, 200);
      assert.equal((await call('GET', '/api/labs/file-owned/versions/1', bob)).statusCode, 404, 'limited to class-a, and bob is not its author');
      assert.equal((await call('PUT', '/api/labs/file-owned', ann, { yaml: lab('file-owned') })).statusCode, 409, 'changed in its file only');
      assert.equal((await call('PUT', '/api/labs/file-owned/authors', ann, { authors: ['bob'] })).statusCode, 409);
      assert.equal((await call('PUT', '/api/labs/file-owned', bob, { yaml: lab('file-owned') })).statusCode, 404);

      for (const author of [ann, bob]) assert.equal((await call('GET', '/api/labs/file-orphan', author)).statusCode, 404, 'no authors named: admins only');
      assert.equal((await call('GET', '/api/labs/file-orphan/versions/1', admin)).statusCode, 200);
      const names = async (cookie: string) => ((await call('GET', '/api/labs', cookie)).json().labs as { name: string }[]).map((entry) => entry.name).sort();
      assert.deepEqual(await names(bob), ['gated', 'gone', 'open-lab']);
      assert.deepEqual(await names(ann), ['file-owned', 'gated', 'gone', 'open-lab', 'restricted']);
      assert.deepEqual(await names(lea), ['file-orphan', 'file-owned', 'gated', 'gone', 'open-lab', 'restricted']);
      assert.deepEqual(await names(out), ['gated', 'gone', 'open-lab']);

      const badAuthors = await call('POST', '/api/labs/validate', ann, { yaml: lab('x', { metadata: ['  authors: [Not A Name]'] }) });
      assert.equal(badAuthors.json().ok, false);
      assert.equal(badAuthors.json().problems[0].path, 'metadata.authors[0]');
    });

    test('GET /api/labs/:lab shows learners and other authors no more than the steps API: no locked step text, never a check command', async () => {
      for (const cookie of [lea, bob]) {
        const response = await call('GET', '/api/labs/gated', cookie);
        assert.equal(response.statusCode, 200);
        const detail = response.json().lab as LabDetail;
        assert.deepEqual(
          detail.instructions.map((step) => step.body),
          ['Intro for everyone.', 'Make /tmp/ready.', ''],
          'a fresh instance shows steps 1 and 2; step 3 opens once step 2 passed',
        );
        assert.doesNotMatch(response.body, /SECRET|ANSWER|test -f|grep/);
        assert.equal(detail.yaml, undefined);
        assert.equal(detail.authorship, undefined);
      }
      const forOwner = (await call('GET', '/api/labs/gated', ann)).json().lab as LabDetail;
      assert.equal(forOwner.instructions[2]?.body, 'The SECRET-BODY of step three.');
      assert.equal(forOwner.instructions[2]?.check?.run, 'grep SECRET-CHECK /etc/motd');
      assert.equal((await call('GET', '/api/labs/gated', admin)).json().lab.instructions[1].check.run, 'test -f /tmp/ready-ANSWER-TWO');
    });
  });
}
