import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GroupRepository } from '../../src/server/store/groups.js';
import { labYaml, tempLabsDir } from '../labs/helpers.js';
import { dialects, testApp, type TestApp } from '../support/app.js';

/** A lab limited to `groups` (spec.groups sits before spec.machines). */
function limitedLab(name: string, groups: string[]): string {
  return labYaml(name).replace('spec:\n', `spec:\n  groups: [${groups.join(', ')}]\n`);
}

for (const dialect of dialects) {
  describe(`groups (${dialect})`, () => {
    let t: TestApp;
    let labsDir: string;
    let admin: string;
    let ann: string;
    let bob: string;
    let writer: string;
    let reader: string;

    const send = (method: 'GET' | 'POST' | 'DELETE', url: string, cookie: string, payload?: unknown) =>
      t.app.inject({ method, url, headers: { cookie }, ...(payload !== undefined && { payload: payload as Record<string, unknown> }) });
    const catalogNames = async (cookie: string) => ((await send('GET', '/api/labs', cookie)).json().labs as { name: string }[]).map((lab) => lab.name);

    before(async () => {
      labsDir = tempLabsDir();
      writeFileSync(path.join(labsDir, 'course-file.yaml'), limitedLab('course-file', ['course-a']));
      // Broken (a container without an image), and still limited: breaking a lab must not show it to everyone.
      writeFileSync(path.join(labsDir, 'course-broken.yaml'), limitedLab('course-broken', ['course-a']).replace('      image: labhub/shell\n', ''));
      writeFileSync(path.join(labsDir, 'open.yaml'), labYaml('open'));
      t = await testApp(dialect, { env: { LABHUB_LABS_DIR: labsDir } });
      admin = await t.adminCookie();
      ann = await t.userCookie('ann');
      bob = await t.userCookie('bob');
      writer = await t.userCookie('writer', 'author');
      reader = await t.userCookie('reader', 'author');
    });
    after(async () => {
      await t.close();
      rmSync(labsDir, { recursive: true, force: true });
    });

    test('admins create groups; names are checked and unique; others may not', async () => {
      const created = await send('POST', '/api/admin/groups', admin, { name: 'course-a', description: 'Course A, autumn' });
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(created.json().group.name, 'course-a');
      assert.equal(created.json().group.memberCount, 0);
      assert.equal((await send('POST', '/api/admin/groups', admin, { name: 'course-b' })).statusCode, 201);

      const taken = await send('POST', '/api/admin/groups', admin, { name: 'course-a' });
      assert.equal(taken.statusCode, 409);
      assert.deepEqual(taken.json().error.details.problems, [{ path: 'body.name', message: 'is taken' }]);
      const bad = await send('POST', '/api/admin/groups', admin, { name: 'Course A' });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, 'LABHUB_VALIDATION');
      assert.match(JSON.stringify(bad.json().error.details.problems), /body\.name/);

      assert.equal((await send('POST', '/api/admin/groups', ann, { name: 'mine' })).statusCode, 403);
      assert.equal((await send('GET', '/api/admin/groups', writer)).statusCode, 403);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/admin/groups' })).statusCode, 401);
      const names = (await send('GET', '/api/admin/groups', admin)).json().groups.map((group: { name: string }) => group.name);
      assert.deepEqual(names, ['course-a', 'course-b']);
    });

    test('members are added and removed by username, with clear errors; /api/me shows the groups', async () => {
      const added = await send('POST', '/api/admin/groups/course-a/members', admin, { username: 'ann' });
      assert.equal(added.statusCode, 200, added.body);
      assert.deepEqual(
        added.json().members.map((member: { username: string; source: string }) => [member.username, member.source]),
        [['ann', 'admin']],
      );
      assert.equal((await send('POST', '/api/admin/groups/course-b/members', admin, { username: 'ann' })).statusCode, 200);
      const again = await send('POST', '/api/admin/groups/course-a/members', admin, { username: 'ann' });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error.details.problems[0].path, 'body.username');
      const ghost = await send('POST', '/api/admin/groups/course-a/members', admin, { username: 'ghost' });
      assert.equal(ghost.statusCode, 404);
      assert.equal(ghost.json().error.details.problems[0].path, 'body.username');
      assert.equal((await send('POST', '/api/admin/groups/nope/members', admin, { username: 'ann' })).statusCode, 404);
      assert.equal((await send('POST', '/api/admin/groups/course-a/members', admin, { user: 'ann' })).statusCode, 400);

      const me = (await send('GET', '/api/me', ann)).json();
      assert.deepEqual(me.groups, ['course-a', 'course-b']);
      assert.deepEqual((await send('GET', '/api/me', bob)).json().groups, []);
      const listed = (await send('GET', '/api/admin/groups', admin)).json().groups;
      assert.deepEqual(listed.map((group: { name: string; memberCount: number }) => [group.name, group.memberCount]), [['course-a', 1], ['course-b', 1]]);

      const removed = await send('DELETE', '/api/admin/groups/course-b/members/ann', admin);
      assert.equal(removed.statusCode, 200);
      assert.deepEqual(removed.json().members, []);
      assert.equal((await send('DELETE', '/api/admin/groups/course-b/members/ann', admin)).statusCode, 404);
      assert.deepEqual((await send('GET', '/api/me', ann)).json().groups, ['course-a']);
      assert.deepEqual(
        (await new GroupRepository(t.store.db).groupsOf((await t.store.db.selectFrom('users').select('id').where('username', '=', 'ann').executeTakeFirstOrThrow()).id)).map((group) => group.name),
        ['course-a'],
        'the store API the quotas use',
      );
    });

    test('a lab limited to groups is seen and started only by members, admins and its owner and authors', async () => {
      const created = await send('POST', '/api/labs', writer, { yaml: limitedLab('course-store', ['course-b']) });
      assert.equal(created.statusCode, 201, created.body);

      // ann is in course-a only; bob in none.
      assert.deepEqual((await catalogNames(ann)).sort(), ['course-broken', 'course-file', 'open']);
      assert.deepEqual(await catalogNames(bob), ['open']);
      assert.deepEqual((await catalogNames(admin)).sort(), ['course-broken', 'course-file', 'course-store', 'open']);
      assert.ok((await catalogNames(writer)).includes('course-store'), 'who wrote it sees it');
      assert.ok(!(await catalogNames(reader)).includes('course-store'), 'another author does not');
      assert.ok(!(await catalogNames(reader)).includes('course-file'), 'a lab file that names no authors is for admins: other authors do not see it');

      for (const lab of ['course-file', 'course-broken', 'course-store']) {
        const hidden = await send('GET', `/api/labs/${lab}`, bob);
        assert.equal(hidden.statusCode, 404, lab);
        assert.deepEqual(hidden.json().error, { code: 'LABHUB_NOT_FOUND', message: `There is no lab "${lab}".` }, 'the same answer as an unknown lab');
        const start = await send('POST', '/api/instances', bob, { lab });
        assert.equal(start.statusCode, 404, `${lab}: ${start.body}`);
        assert.equal(start.json().error.code, 'LABHUB_NOT_FOUND');
      }
      const forMember = (await send('GET', '/api/labs/course-file', ann)).json().lab;
      assert.equal(forMember.groups, undefined, 'which groups a lab is for is for authors and admins');
      assert.deepEqual((await send('GET', '/api/labs/course-file', admin)).json().lab.groups, ['course-a']);
      assert.equal(((await send('GET', '/api/labs', admin)).json().labs as { name: string; groups?: string[] }[]).find((lab) => lab.name === 'open')?.groups, undefined);
      assert.equal((await send('GET', '/api/labs/course-store', ann)).statusCode, 404);
      assert.equal((await send('GET', '/api/labs/course-store', writer)).json().lab.name, 'course-store');
      // A member passes the group check and meets the next one: the lab is broken (409, not 404).
      const memberStart = await send('POST', '/api/instances', ann, { lab: 'course-broken' });
      assert.equal(memberStart.statusCode, 409, memberStart.body);
      assert.equal(memberStart.json().error.code, 'LABHUB_CONFLICT');

      // Joining the group opens the lab; deleting the group closes it again.
      await send('POST', '/api/admin/groups/course-b/members', admin, { username: 'bob' });
      assert.deepEqual((await catalogNames(bob)).sort(), ['course-store', 'open']);
      assert.equal((await send('DELETE', '/api/admin/groups/course-b', admin)).statusCode, 204);
      assert.deepEqual(await catalogNames(bob), ['open']);
      assert.equal((await send('GET', '/api/admin/groups/course-b', admin)).statusCode, 404);
      assert.deepEqual((await send('GET', '/api/me', bob)).json().groups, []);
    });

    test('spec.groups is checked like every lab field', async () => {
      const bad = await send('POST', '/api/labs/validate', writer, { yaml: limitedLab('bad-groups', ['Course A']) });
      assert.equal(bad.json().ok, false);
      assert.equal(bad.json().problems[0].path, 'spec.groups[0]');
      assert.match(bad.json().problems[0].message, /group name/);
    });

    test('every group change is in the audit log', async () => {
      const events = (await send('GET', '/api/admin/audit?actor=admin', admin)).json().events as { action: string; target: string; detail: Record<string, unknown> | null }[];
      const groupEvents = events.filter((event) => event.action.startsWith('group.')).reverse();
      assert.deepEqual(
        groupEvents.map((event) => [event.action, event.target, event.detail?.username ?? null]),
        [
          ['group.create', 'course-a', null],
          ['group.create', 'course-b', null],
          ['group.member.add', 'course-a', 'ann'],
          ['group.member.add', 'course-b', 'ann'],
          ['group.member.remove', 'course-b', 'ann'],
          ['group.member.add', 'course-b', 'bob'],
          ['group.delete', 'course-b', null],
        ],
      );
      const since = new Date(Date.now() + 60_000).toISOString();
      assert.deepEqual((await send('GET', `/api/admin/audit?since=${encodeURIComponent(since)}`, admin)).json().events, [], 'nothing in the future');
      const until = (await send('GET', `/api/admin/audit?action=group.create&until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, admin)).json().events;
      assert.equal(until.length, 2);
      assert.equal((await send('GET', '/api/admin/audit?since=yesterday', admin)).statusCode, 400);
      const leap = await send('GET', `/api/admin/audit?until=${encodeURIComponent('2016-12-31T23:59:60Z')}`, admin);
      assert.equal(leap.statusCode, 400, leap.body);
      assert.equal(leap.json().error.details.problems[0].path, 'querystring.until');
    });
  });
}
