import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { RouteEntry } from '../../src/server/http/access.js';
import { testApp, type TestApp } from '../support/app.js';
import { eventually } from '../support/eventually.js';
import { ProcessRuntime } from '../support/process-runtime.js';

/**
 * The authorization matrix (issue #8), generated from the route table: every route labhub
 * registers, for every kind of caller, must answer as its policy below says. A route without a
 * policy fails the test, so a new route cannot be missed.
 */

/**
 * `owner` owns the fixture instance; `member` is a learner in the group the lab-ownership rows'
 * lab is limited to; `labOwner` is the author who owns that lab and is named an author of the
 * fixture's lab file; `author` is another author (issue 15: authors touch only their labs).
 */
const roles = ['anonymous', 'owner', 'other', 'viewer', 'controller', 'member', 'author', 'labOwner', 'admin'] as const;
type Role = (typeof roles)[number];

/** What a caller may do: declared per route below. */
type Policy =
  /** anyone, logged in or not */
  | 'public'
  /** any logged-in user */
  | 'user'
  | 'author'
  | 'admin'
  /** the fixture instance: see it (owner, admin, share grantees, the lab's authors) */
  | 'watch'
  /** use it (owner, admin, control share) */
  | 'use'
  /** manage it (owner, admin) */
  | 'manage'
  /** the lab-ownership rows' lab (limited to a group): see it (members, its owner, admins) */
  | 'labSee'
  /** hold that lab: change it, read its versions and progress (its owner and authors, admins; another author may not even see it) */
  | 'labHold'
  /** the owner alone, and who may see it learns why the others may not (apps on labhub's own origin) */
  | 'own';

/** What the caller gets: `ok` is anything but 401, 403 and 404 (the route ran, or refused for reasons other than who asked). */
type Outcome = 'ok' | 401 | 403 | 404;

const expected: Record<Policy, Record<Role, Outcome>> = {
  public: { anonymous: 'ok', owner: 'ok', other: 'ok', viewer: 'ok', controller: 'ok', member: 'ok', author: 'ok', labOwner: 'ok', admin: 'ok' },
  user: { anonymous: 401, owner: 'ok', other: 'ok', viewer: 'ok', controller: 'ok', member: 'ok', author: 'ok', labOwner: 'ok', admin: 'ok' },
  author: { anonymous: 401, owner: 403, other: 403, viewer: 403, controller: 403, member: 403, author: 'ok', labOwner: 'ok', admin: 'ok' },
  admin: { anonymous: 401, owner: 403, other: 403, viewer: 403, controller: 403, member: 403, author: 403, labOwner: 403, admin: 'ok' },
  // The fixture's lab file names labOwner its author: labOwner watches its learners, another author does not even see them.
  watch: { anonymous: 401, owner: 'ok', other: 404, viewer: 'ok', controller: 'ok', member: 404, author: 404, labOwner: 'ok', admin: 'ok' },
  use: { anonymous: 401, owner: 'ok', other: 404, viewer: 403, controller: 'ok', member: 404, author: 404, labOwner: 403, admin: 'ok' },
  manage: { anonymous: 401, owner: 'ok', other: 404, viewer: 403, controller: 403, member: 404, author: 404, labOwner: 403, admin: 'ok' },
  labSee: { anonymous: 401, owner: 404, other: 404, viewer: 404, controller: 404, member: 'ok', author: 404, labOwner: 'ok', admin: 'ok' },
  // Learners are refused by role (403) before the lab is looked up; another author is told it does not exist.
  labHold: { anonymous: 401, owner: 403, other: 403, viewer: 403, controller: 403, member: 403, author: 404, labOwner: 'ok', admin: 'ok' },
  own: { anonymous: 401, owner: 'ok', other: 404, viewer: 403, controller: 403, member: 404, author: 404, labOwner: 403, admin: 403 },
};

/** The fixture values that fill a route's parameters. */
interface Fixture {
  id: string;
}

interface Case {
  policy: Policy;
  /** The concrete path (parameters filled in) and body, when the pattern alone is not enough. */
  request?: (fixture: Fixture) => { url?: string; body?: unknown };
  /** The same outcome for every caller, where the route does not depend on who asks. */
  outcomes?: Outcome;
  /** Runs before each call by a role the policy allows: recreates what the call uses up. */
  prepare?: (fixture: Fixture, t: TestApp) => Promise<Partial<Fixture>>;
}

const matrixLab = 'matrix';
const group = 'class-a';
/** The lab-ownership rows' labs: created by labOwner in labhub, limited to `group`. */
const ownedLab = 'owned';
const doomedLab = 'owned-doomed';

function ownedLabYaml(name: string): string {
  return `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: ${name}, title: Owned }
spec:
  groups: [${group}]
  machines:
    - { name: box, type: container, image: labhub/shell }
  instructions:
    - title: One
      check: { machine: box, run: "true" }
`;
}

/** Every route's policy, by `METHOD url` exactly as registered. */
const policies: Record<string, Case> = {
  // System and the web app.
  'GET /healthz': { policy: 'public' },
  // Or Prometheus with LABHUB_METRICS_TOKEN: the bearer-token rows are their own test below.
  'GET /metrics': { policy: 'admin' },
  'GET /api/openapi.json': { policy: 'public' },
  'GET /api/schema/lab.json': { policy: 'public' },

  // Sessions and single sign-on.
  // A body that fails validation: a wrong password would count as 401.
  'POST /api/auth/login': { policy: 'public', request: () => ({ body: { username: 'nobody' } }) },
  'POST /api/auth/logout': { policy: 'public', request: () => ({ body: {} }) },
  'GET /api/auth/config': { policy: 'public' },
  // Single sign-on is not configured here: 404 for everyone alike (test/api/oidc.test.ts covers it configured).
  'GET /api/auth/oidc/login': { policy: 'public', outcomes: 404 },
  'GET /api/auth/oidc/callback': { policy: 'public', outcomes: 404 },
  'GET /api/me': { policy: 'user' },
  'GET /api/me/quota': { policy: 'user' },

  // Labs: the rows naming one lab use labOwner's lab limited to a group (issue 15: lab ownership).
  'GET /api/labs': { policy: 'user' },
  'GET /api/labs/:lab': { policy: 'labSee', request: () => ({ url: `/api/labs/${ownedLab}` }) },
  'POST /api/labs': { policy: 'author', request: () => ({ body: { yaml: 'not: a lab' } }) },
  'POST /api/labs/validate': { policy: 'author', request: () => ({ body: { yaml: 'not: a lab' } }) },
  // Who may write is decided before the text is read: the holder gets 400 for this text, another author 404.
  'PUT /api/labs/:lab': { policy: 'labHold', request: () => ({ url: `/api/labs/${ownedLab}`, body: { yaml: 'not: a lab' } }) },
  'PUT /api/labs/:lab/authors': { policy: 'labHold', request: () => ({ url: `/api/labs/${ownedLab}/authors`, body: { authors: [] } }) },
  'DELETE /api/labs/:lab': {
    policy: 'labHold',
    request: () => ({ url: `/api/labs/${doomedLab}` }),
    // Each allowed delete finds the lab there again (its owner may re-create a deleted lab's name).
    prepare: async (_fixture, t) => {
      await call(t, 'labOwner', 'POST', '/api/labs', { yaml: ownedLabYaml(doomedLab) });
      return {};
    },
  },
  'GET /api/labs/:lab/versions': { policy: 'labHold', request: () => ({ url: `/api/labs/${ownedLab}/versions` }) },
  'GET /api/labs/:lab/versions/:version': { policy: 'labHold', request: () => ({ url: `/api/labs/${ownedLab}/versions/1` }) },
  'GET /api/labs/:lab/progress': { policy: 'labHold', request: () => ({ url: `/api/labs/${ownedLab}/progress` }) },
  'GET /api/labs/:lab/progress.csv': { policy: 'labHold', request: () => ({ url: `/api/labs/${ownedLab}/progress.csv` }) },

  // Instances.
  'POST /api/instances': { policy: 'user', request: () => ({ body: {} }) },
  'GET /api/instances': { policy: 'user' },
  'GET /api/instances/:id': { policy: 'watch' },
  'POST /api/instances/:id/extend': { policy: 'use' },
  'POST /api/instances/:id/:action': { policy: 'use', request: ({ id }) => ({ url: `/api/instances/${id}/resume` }) },
  'DELETE /api/instances/:id': {
    policy: 'manage',
    // Each allowed delete gets an instance of its own to delete.
    prepare: async (_fixture, t) => ({ id: await startInstance(t, 'owner') }),
  },
  'GET /api/instances/:id/steps': { policy: 'watch' },
  'POST /api/instances/:id/steps/:n/check': { policy: 'use', request: ({ id }) => ({ url: `/api/instances/${id}/steps/1/check` }) },
  'GET /api/instances/:id/shares': { policy: 'manage' },
  'POST /api/instances/:id/shares': { policy: 'manage', request: () => ({ body: { username: 'spare', access: 'view' } }) },
  'DELETE /api/instances/:id/shares/:username': {
    policy: 'manage',
    request: ({ id }) => ({ url: `/api/instances/${id}/shares/spare` }),
    prepare: async (fixture, t) => {
      await call(t, 'owner', 'POST', `/api/instances/${fixture.id}/shares`, { username: 'spare', access: 'view' });
      return {};
    },
  },

  // Gateway: terminals, desktops, apps in path mode (their owner only: docs/decisions/0014-apps-isolation.md).
  'GET /api/instances/:id/machines/:machine/terminal': { policy: 'watch', request: ({ id }) => ({ url: `/api/instances/${id}/machines/box/terminal` }) },
  'GET /api/instances/:id/machines/:machine/vnc': { policy: 'watch', request: ({ id }) => ({ url: `/api/instances/${id}/machines/box/vnc` }) },
  'GET /apps/:id/:machine/:port': { policy: 'own', request: ({ id }) => ({ url: `/apps/${id}/box/8080` }) },
  'GET /apps/:id/:machine/:port/*': { policy: 'own', request: ({ id }) => ({ url: `/apps/${id}/box/8080/index.html` }) },
  'POST /apps/:id/:machine/:port/*': { policy: 'own', request: ({ id }) => ({ url: `/apps/${id}/box/8080/form`, body: {} }) },
  'PUT /apps/:id/:machine/:port/*': { policy: 'own', request: ({ id }) => ({ url: `/apps/${id}/box/8080/form`, body: {} }) },
  'PATCH /apps/:id/:machine/:port/*': { policy: 'own', request: ({ id }) => ({ url: `/apps/${id}/box/8080/form`, body: {} }) },
  'DELETE /apps/:id/:machine/:port/*': { policy: 'own', request: ({ id }) => ({ url: `/apps/${id}/box/8080/form` }) },
  'OPTIONS /apps/:id/:machine/:port/*': { policy: 'own', request: ({ id }) => ({ url: `/apps/${id}/box/8080/form` }) },
  // Apps on their own subdomain (LABHUB_APPS_DOMAIN): the way in from labhub's origin.
  'GET /api/apps/open': { policy: 'use', request: ({ id }) => ({ url: `/api/apps/open?instance=${id}&machine=box&port=8080` }) },

  // Administration.
  'GET /api/admin/users': { policy: 'admin' },
  'POST /api/admin/users': { policy: 'admin', request: () => ({ body: { username: 'x' } }) },
  'PATCH /api/admin/users/:username': { policy: 'admin', request: () => ({ url: '/api/admin/users/spare', body: { displayName: 'Spare' } }) },
  'GET /api/admin/audit': { policy: 'admin' },
  'GET /api/admin/doctor': { policy: 'admin' },
  'GET /api/admin/usage': { policy: 'admin' },
  'GET /api/admin/quotas': { policy: 'admin' },
  'GET /api/admin/groups': { policy: 'admin' },
  'POST /api/admin/groups': { policy: 'admin', request: () => ({ body: { name: 'Not A Valid Name' } }) },
  'GET /api/admin/groups/:group': { policy: 'admin', request: () => ({ url: `/api/admin/groups/${group}` }) },
  'DELETE /api/admin/groups/:group': {
    policy: 'admin',
    request: () => ({ url: '/api/admin/groups/doomed' }),
    prepare: async (_fixture, t) => {
      await call(t, 'admin', 'POST', '/api/admin/groups', { name: 'doomed' });
      return {};
    },
  },
  'POST /api/admin/groups/:group/members': { policy: 'admin', request: () => ({ url: `/api/admin/groups/${group}/members`, body: { username: 'spare' } }) },
  'DELETE /api/admin/groups/:group/members/:username': { policy: 'admin', request: () => ({ url: `/api/admin/groups/${group}/members/spare` }) },
  'PUT /api/admin/groups/:group/quota': { policy: 'admin', request: () => ({ url: `/api/admin/groups/${group}/quota`, body: { instances: 5 } }) },
};

const users: Record<Exclude<Role, 'anonymous'>, 'user' | 'author' | 'admin'> = {
  owner: 'user',
  other: 'user',
  viewer: 'user',
  controller: 'user',
  member: 'user',
  author: 'author',
  labOwner: 'author',
  admin: 'admin',
};
/** Usernames are lower-case. */
const username = (role: Role) => role.toLowerCase();
const cookies = new Map<Role, string>();

async function call(t: TestApp, role: Role, method: string, url: string, body?: unknown): Promise<{ status: number; body: string }> {
  const cookie = cookies.get(role);
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers: { origin: t.config.publicUrl, ...(cookie && { cookie }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  return { status: response.statusCode, body: response.body };
}

async function startInstance(t: TestApp, role: Role): Promise<string> {
  const created = await call(t, role, 'POST', '/api/instances', { lab: matrixLab });
  assert.equal(created.status, 201, created.body);
  return (JSON.parse(created.body) as { instance: { id: string } }).instance.id;
}

function outcomeOf(status: number): Outcome {
  return status === 401 || status === 403 || status === 404 ? status : 'ok';
}

/** The status a WebSocket upgrade gets: 101 (`ok`) or the refusal's. */
function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('error', reject);
  });
}

// Not under labhub.test (the public URL's): labhub refuses an apps domain of its own site.
const appsDomain = 'apps.labhub-apps.test';
const metricsToken = 'matrix-metrics-token-2f9c4e';

for (const mode of ['apps in path mode', 'apps on their own subdomains'] as const) describe(`authorization matrix (${mode}): every route × anonymous, owner, other user, viewer, controller, group member, author, the lab's owner, admin`, { timeout: 900_000 }, () => {
  let t: TestApp;
  // Who may do what does not depend on the runtime: the process runtime (test/support/process-runtime.ts) will do. No row
  // needs a real app behind a port: an app route that lets the caller through answers 503, as nothing listens on 8080.
  let runtime: ProcessRuntime;
  let labsDir: string;
  let fixture: Fixture;
  let base: string;
  const instances: string[] = [];

  before(async () => {
    labsDir = mkdtempSync(path.join(tmpdir(), 'labhub-matrix-'));
    writeFileSync(
      path.join(labsDir, `${matrixLab}.yaml`),
      `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: ${matrixLab}, title: Matrix, authors: [${username('labOwner')}] }
spec:
  limits: { maxInstancesPerUser: 10 }
  machines:
    - { name: box, type: container, image: labhub/desktop, resources: { cpu: 0.5, memory: 512Mi }, access: [terminal, desktop, { http: 8080 }] }
  instructions:
    - title: One
      body: Nothing to do.
      check: { machine: box, run: "true" }
`,
    );
    runtime = new ProcessRuntime();
    const apps: Record<string, string> = mode === 'apps on their own subdomains' ? { LABHUB_APPS_DOMAIN: appsDomain } : {};
    t = await testApp('sqlite', { runtime, env: { LABHUB_LABS_DIR: labsDir, LABHUB_QUOTA_INSTANCES: '20', LABHUB_QUOTA_CPU: '20', LABHUB_QUOTA_MEMORY: '64Gi', LABHUB_METRICS_TOKEN: metricsToken, ...apps } });
    cookies.set('admin', await t.adminCookie());
    for (const [role, kind] of Object.entries(users)) if (role !== 'admin') cookies.set(role as Role, await t.userCookie(username(role as Role), kind));
    await t.userCookie('spare');
    assert.equal((await call(t, 'admin', 'POST', '/api/admin/groups', { name: group })).status, 201);
    assert.equal((await call(t, 'admin', 'POST', `/api/admin/groups/${group}/members`, { username: username('member') })).status, 200);
    for (const name of [ownedLab, doomedLab]) assert.equal((await call(t, 'labOwner', 'POST', '/api/labs', { yaml: ownedLabYaml(name) })).status, 201);
    fixture = { id: await startInstance(t, 'owner') };
    instances.push(fixture.id);
    assert.equal((await call(t, 'owner', 'POST', `/api/instances/${fixture.id}/shares`, { username: 'viewer', access: 'view' })).status, 201);
    assert.equal((await call(t, 'owner', 'POST', `/api/instances/${fixture.id}/shares`, { username: 'controller', access: 'control' })).status, 201);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    // The fixture runs before the gateway rows connect to it.
    const seen = await eventually(
      'the fixture to start',
      async () => (JSON.parse((await call(t, 'owner', 'GET', `/api/instances/${fixture.id}`)).body) as { instance: { status: string; message: string } }).instance,
      (instance) => instance.status === 'running' || instance.status === 'failed',
    );
    assert.equal(seen.status, 'running', `the fixture did not start: ${seen.message}`);
  });

  after(async () => {
    for (const id of instances) await call(t, 'admin', 'DELETE', `/api/instances/${id}`);
    await t.close();
    await runtime.dispose();
    rmSync(labsDir, { recursive: true, force: true });
  });

  const key = (route: RouteEntry) => `${route.method} ${route.url}`;
  /** The web app's built files (one route each): public, and nothing else may hide among them. */
  const isStaticFile = (route: RouteEntry) => route.method === 'GET' && route.access === undefined && !route.url.includes(':') && !route.url.includes('*') && !/^\/(api|apps)\//.test(route.url);
  const routes = () => t.app.routeTable.filter((route) => !route.hostConstrained);
  const policyOf = (route: RouteEntry): Case | undefined => policies[key(route)] ?? (isStaticFile(route) ? { policy: 'public' } : undefined);

  test('every route has a policy, and the policy agrees with the access the route declares', () => {
    const missing = routes().filter((route) => !policyOf(route)).map(key);
    assert.deepEqual(missing, [], 'routes without a policy in the matrix: add them to `policies`');
    // Each mode has the app routes of its own; every other policy must match a route.
    const otherMode = (name: string) => (mode === 'apps in path mode' ? name === 'GET /api/apps/open' : / \/apps\//.test(name));
    const stale = Object.keys(policies).filter((name) => !otherMode(name) && !routes().some((route) => key(route) === name));
    assert.deepEqual(stale, [], 'policies of routes that no longer exist');
    // Path-mode apps are `public` to the access hook: an app session in their path authorizes the app's own requests, the route checks the rest.
    const declared: Record<Policy, string> = { public: 'public', user: 'user', author: 'author', admin: 'admin', watch: 'user', use: 'user', manage: 'user', labSee: 'user', labHold: 'author', own: 'public' };
    for (const route of routes()) {
      const policy = policyOf(route)?.policy;
      if (policy && route.access !== undefined) assert.equal(route.access, declared[policy], `${key(route)} declares ${route.access} but its policy is ${policy}`);
    }
  });

  test('every REST route answers each caller as its policy says', async () => {
    const wrong: string[] = [];
    for (const route of routes().filter((r) => !r.websocket)) {
      const policyCase = policyOf(route);
      if (!policyCase) continue;
      for (const role of roles) {
        // Logging out would end the session the rest of the matrix uses: that row logs in afresh.
        if (key(route) === 'POST /api/auth/logout' && role !== 'anonymous') continue;
        let current = fixture;
        if (policyCase.prepare && expected[policyCase.policy][role] === 'ok') {
          current = { ...fixture, ...(await policyCase.prepare(fixture, t)) };
          if (current.id !== fixture.id) instances.push(current.id);
        }
        const { url = route.url.replace(':id', current.id), body } = policyCase.request?.(current) ?? {};
        const response = await call(t, role, route.method, url, body ?? (['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined));
        const want = policyCase.outcomes ?? expected[policyCase.policy][role];
        if (outcomeOf(response.status) !== want) wrong.push(`${key(route)} as ${role}: ${response.status}, expected ${want} (${response.body.slice(0, 120)})`);
        // An app route that got past authorization finds nothing listening in the box: 503 says so.
        const appDown = route.url.startsWith('/apps/') && response.status === 503;
        assert.ok(response.status < 500 || appDown, `${key(route)} as ${role}: ${response.status} ${response.body.slice(0, 200)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('GET /metrics: the metrics token stands in for an admin session, for every caller; a wrong one for none', async () => {
    const wrong: string[] = [];
    for (const role of roles) {
      const cookie = cookies.get(role);
      for (const [token, want] of [[metricsToken, 'ok'], [`${metricsToken}-wrong`, expected.admin[role]]] as const) {
        const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}`, ...(cookie && { cookie }) } });
        if (outcomeOf(response.statusCode) !== want) wrong.push(`GET /metrics as ${role} with ${token === metricsToken ? 'the' : 'a wrong'} token: ${response.statusCode}, expected ${want}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('logging out ends only the caller’s own session', async () => {
    const cookie = await t.login('other', 'other-password');
    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, origin: t.config.publicUrl } });
    assert.equal(out.statusCode, 204);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode, 401);
    assert.equal((await call(t, 'other', 'GET', '/api/me')).status, 200);
  });

  test('every WebSocket path answers each caller as its policy says, and refuses foreign or null Origin', async () => {
    const wrong: string[] = [];
    for (const route of routes().filter((r) => r.websocket)) {
      const policyCase = policyOf(route);
      if (!policyCase) continue;
      const { url = route.url } = policyCase.request?.(fixture) ?? {};
      for (const role of roles) {
        const cookie = cookies.get(role);
        const status = await upgrade(`${base}${url}`, { origin: t.config.publicUrl, ...(cookie && { cookie }) });
        const want = expected[policyCase.policy][role];
        if (outcomeOf(status) !== want) wrong.push(`${key(route)} as ${role}: ${status}, expected ${want}`);
        if (role !== 'anonymous') {
          for (const origin of ['http://evil.test', 'null']) {
            const foreign = await upgrade(`${base}${url}`, { origin, cookie: cookie ?? '' });
            if (foreign !== 403) wrong.push(`${key(route)} as ${role} from Origin ${origin}: ${foreign}, expected 403`);
          }
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  // Only subdomain mode has app hosts.
  if (mode === 'apps on their own subdomains') test("an app's own host serves nobody on labhub's session cookie alone, and none of labhub's own routes answers there", async () => {
    const hostRoutes = t.app.routeTable.filter((route) => route.hostConstrained && !route.websocket);
    assert.deepEqual(hostRoutes.map(key).sort(), ['DELETE /__labhub-app-host/*', 'GET /__labhub-app-host/*', 'GET /__labhub-app-host/__labhub/ticket', 'OPTIONS /__labhub-app-host/*', 'PATCH /__labhub-app-host/*', 'POST /__labhub-app-host/*', 'PUT /__labhub-app-host/*']);
    const host = `8080-box-${fixture.id}.${appsDomain}`;
    // Paths as a browser on the app's host would ask for them, labhub's own among them: all are the app's.
    const probes = [
      ['GET', '/__labhub/ticket'],
      ['GET', '/index.html'],
      ['GET', '/api/me'],
      ['GET', '/healthz'],
      ['GET', '/assets/app.js'],
      ['POST', '/api/auth/logout'],
      ['PUT', '/form'],
      ['PATCH', '/form'],
      ['DELETE', '/form'],
      ['OPTIONS', '/form'],
    ] as const;
    const wrong: string[] = [];
    for (const [method, url] of probes) {
      for (const role of roles) {
        const cookie = cookies.get(role);
        const response = await t.app.inject({ method, url, headers: { host, origin: `http://${host}`, ...(cookie && { cookie }) } });
        const toTicket = response.statusCode === 302 && String(response.headers.location).startsWith(`${t.config.publicUrl}/api/apps/open?`);
        if (!toTicket && response.statusCode !== 401) wrong.push(`${method} ${url} on the app host as ${role}: ${response.statusCode} ${response.body.slice(0, 100)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
