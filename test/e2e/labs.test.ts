import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, reviewScreenshot, withPage, type ExpectedHttpError } from '../support/browser.js';
import { startServer, type E2eServer } from '../support/server.js';

const labsDir = fileURLToPath(new URL('../../labs/', import.meta.url));

let server: E2eServer;
let browser: Browser;

before(async () => {
  server = await startServer({ env: { LABHUB_LABS_DIR: labsDir } });
  browser = await launchBrowser();
  await createUser('lena', 'user');
  await createUser('ada', 'author');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Asking who is logged in while nobody is answers 401; that is how the UI learns it must show the login page. */
const loggedOut: ExpectedHttpError = { path: '/api/me', status: 401 };

/** Calls the API as a script would (not through the page): with the session cookie and the Origin the server expects. */
async function api(path: string, init: { method?: string; body?: unknown; cookie?: string; on?: E2eServer } = {}): Promise<Response> {
  const target = init.on ?? server;
  const headers: Record<string, string> = { origin: target.url };
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${target.url}${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined && { body: JSON.stringify(init.body) }) });
}

async function apiLogin(username: string, password: string, on = server): Promise<string> {
  const response = await api('/api/auth/login', { method: 'POST', body: { username, password }, on });
  assert.equal(response.status, 200, `login as ${username}`);
  const cookie = response.headers.getSetCookie().find((line) => line.includes('labhub_session='));
  assert.ok(cookie, 'the login sets a session cookie');
  return cookie.split(';')[0]!;
}

async function createUser(username: string, role: 'user' | 'author' | 'admin', on = server): Promise<void> {
  const cookie = await apiLogin('admin', on.adminPassword, on);
  const response = await api('/api/admin/users', { method: 'POST', cookie, body: { username, password: `${username}-password`, role }, on });
  assert.equal(response.status, 201, await response.text());
}

async function logIn(page: Page, username: string, password = `${username}-password`): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password', { exact: true }).press('Enter');
}

const mainNav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const card = (page: Page, title: string) => page.getByRole('article').filter({ has: page.getByRole('heading', { name: title, exact: true }) });

test('the catalog shows the demo labs with VM and container marks; Enter opens a lab; a user cannot write labs', async (t) => {
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut] }, async (page) => {
    await page.goto('/');
    await logIn(page, 'lena');
    await page.waitForURL('/');
    const labs = page.getByRole('list', { name: 'Labs' });
    for (const title of ['A Linux desktop', 'Network basics', 'A Linux shell', 'A tiny virtual machine']) {
      await labs.getByRole('heading', { name: title, exact: true }).waitFor();
    }

    const network = card(page, 'Network basics');
    const machines = network.getByRole('list', { name: 'Machines' }).getByRole('listitem').filter({ has: page.getByRole('list', { name: 'Access' }) });
    assert.deepEqual(await machines.allInnerTexts().then((texts) => texts.map((text) => text.replace(/\s+/g, ' ').trim())), [
      'VM tiny Terminal Desktop',
      'Container shell Terminal',
      'Container desktop Terminal Desktop',
    ]);
    await network.getByText('2 h time limit').waitFor();
    await network.getByRole('list', { name: 'Tags' }).getByText('networking').waitFor();
    await card(page, 'A tiny virtual machine').getByText('VM', { exact: true }).waitFor();
    assert.equal(await card(page, 'A tiny virtual machine').getByText('Container', { exact: true }).count(), 0);
    assert.equal(await page.getByText('Broken').count(), 0);
    assert.equal(await mainNav(page).getByRole('link', { name: 'New lab' }).count(), 0, 'a user sees no New lab');
    await reviewScreenshot(page, 'catalog-demo-labs');

    // Cards are links: the keyboard reaches one and Enter opens it.
    await card(page, 'A Linux shell').getByRole('link').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL('/labs/shell');
    await page.getByRole('heading', { level: 1, name: 'A Linux shell' }).waitFor();
    const steps = page.getByRole('region', { name: 'Steps' }).getByRole('listitem');
    assert.deepEqual(await steps.locator('.step-list__title').allInnerTexts(), ['Where am I?', 'Make a file', 'Read the manual']);
    const machine = page.getByRole('region', { name: 'Machines' }).getByRole('article');
    await machine.getByRole('heading', { name: 'shell' }).waitFor();
    await machine.getByText('Container', { exact: true }).waitFor();
    await machine.getByText('0.5 CPU · 256 MiB memory').waitFor();
    await page.getByRole('button', { name: 'Start' }).waitFor();
    await page.getByText('1 h', { exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0, 'a user cannot edit');
    assert.equal(await page.getByRole('button', { name: 'Delete' }).count(), 0, 'a user cannot delete');
    assert.equal(await page.getByText('read-only here').count(), 0, 'where a lab comes from is for authors');
    await reviewScreenshot(page, 'lab-page');

    await page.goto('/labs/new');
    await page.getByRole('heading', { level: 1, name: 'Not allowed' }).waitFor();
    await page.getByRole('heading', { name: 'This page is for authors' }).waitFor();
    assert.equal(await page.locator('.cm-editor').count(), 0);
    await page.goto('/labs/shell/edit');
    await page.getByRole('heading', { name: 'This page is for authors' }).waitFor();
  });
});

/** A lab whose one machine has a type error on line 10, column 13 ("containr"). */
const brokenLab = `apiVersion: labhub.io/v1
kind: Lab
metadata:
  name: port-scan
  title: Port scanning
  description: Find the open ports of a machine next door.
spec:
  machines:
    - name: scanner
      type: containr
      image: labhub/shell
  instructions:
    - title: Find the neighbour
    - title: Scan its ports
`;

test('an author writes a lab: problems show inline and in a list while typing; the saved lab is in the catalog', async (t) => {
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut] }, async (page) => {
    await page.goto('/');
    await logIn(page, 'ada');
    await page.waitForURL('/');
    await mainNav(page).getByRole('link', { name: 'New lab' }).click();
    await page.waitForURL('/labs/new');
    await page.getByRole('heading', { level: 1, name: 'New lab' }).waitFor();
    const editor = page.getByRole('textbox', { name: 'YAML of the new lab' });
    await editor.waitFor();
    const summary = page.getByRole('status').filter({ hasText: /problem|valid lab|Checking/ });
    await summary.getByText('No problems: this is a valid lab.').waitFor();
    const create = page.getByRole('button', { name: 'Create lab' });
    assert.equal(await create.isEnabled(), true, 'the starter template can be saved as it is');

    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText(brokenLab);
    await summary.getByText('1 problem to fix before saving').waitFor();
    const problem = page.getByRole('button', { name: /spec\.machines\[0\]\.type must be one of: container, vm/ });
    await problem.getByText('10:13').waitFor();
    // Inline: the wrong value is underlined and its line has a marker in the lint gutter.
    await page.locator('.cm-lintRange-error').getByText('containr').waitFor();
    await page.locator('.cm-gutter-lint .cm-gutterElement').filter({ has: page.locator('.cm-lint-marker-error') }).waitFor();
    assert.equal(await create.isDisabled(), true, 'an invalid lab cannot be saved');
    await reviewScreenshot(page, 'lab-editor-problem');

    // The problem takes the cursor to its place; the fix is typed there.
    await problem.click();
    assert.equal(await page.locator('.cm-activeLine').innerText(), '      type: containr');
    await page.keyboard.press('Shift+End');
    await page.keyboard.type('container');
    await summary.getByText('No problems: this is a valid lab.').waitFor();
    await page.locator('.cm-lintRange-error').first().waitFor({ state: 'detached' });
    await create.click();

    await page.waitForURL('/labs/port-scan');
    await page.getByRole('status').getByText('Created the lab Port scanning.').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Port scanning' }).waitFor();
    const steps = page.getByRole('region', { name: 'Steps' });
    await steps.locator('.step-list__title').nth(1).waitFor();
    assert.deepEqual(await steps.locator('.step-list__title').allInnerTexts(), ['Find the neighbour', 'Scan its ports']);
    await page.getByRole('link', { name: 'Edit' }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).waitFor();

    // An edit starts from the saved text and saves a new version.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL('/labs/port-scan/edit');
    await page.getByRole('heading', { level: 1, name: 'Edit Port scanning' }).waitFor();
    const save = page.getByRole('button', { name: 'Save' });
    assert.equal(await save.isDisabled(), true, 'nothing changed, nothing to save');
    const labEditor = page.getByRole('textbox', { name: 'YAML of the lab port-scan' });
    await labEditor.click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.insertText('    - title: Write down what you found\n');
    await summary.getByText('No problems: this is a valid lab.').waitFor();
    await save.click();
    await page.waitForURL('/labs/port-scan');
    await page.getByRole('status').getByText('Saved version 2 of Port scanning.').waitFor();
    await steps.locator('.step-list__title').nth(2).waitFor();
    assert.deepEqual(await steps.locator('.step-list__title').allInnerTexts(), ['Find the neighbour', 'Scan its ports', 'Write down what you found']);

    // Any saved version can be opened in the editor; leaving with unsaved changes asks first.
    await page.getByRole('link', { name: 'Edit' }).click();
    const versions = page.getByRole('region', { name: 'Versions' });
    await versions.getByText('Version 2').waitFor();
    await versions.getByRole('button', { name: 'Open version 1' }).click();
    await page.getByRole('status').getByText('Opened version 1. Save to make it the newest version.').waitFor();
    assert.equal(await page.locator('.cm-content').innerText().then((text) => text.includes('Write down what you found')), false);
    await summary.getByText('No problems: this is a valid lab.').waitFor();
    assert.equal(await save.isEnabled(), true);
    await mainNav(page).getByRole('link', { name: 'Catalog' }).click();
    const leave = page.getByRole('dialog', { name: 'Leave without saving?' });
    await leave.getByRole('button', { name: 'Keep editing' }).click();
    await leave.waitFor({ state: 'hidden' });
    assert.equal(new URL(page.url()).pathname, '/labs/port-scan/edit');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await leave.getByRole('button', { name: 'Leave and lose changes' }).click();
    await page.waitForURL('/labs/port-scan');
    // count() does not wait: let the lab page render its steps first.
    await steps.locator('.step-list__title').first().waitFor();
    assert.equal(await steps.locator('.step-list__title').count(), 3, 'the unsaved version 1 was not saved');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('/login');
    await logIn(page, 'lena');
    await page.waitForURL('/');
    await card(page, 'Port scanning').getByText('Find the open ports of a machine next door.').waitFor();
    await card(page, 'Port scanning').getByRole('link').click();
    await page.waitForURL('/labs/port-scan');
    await page.getByRole('region', { name: 'Steps' }).locator('.step-list__title').nth(2).waitFor();
    assert.deepEqual(await page.getByRole('region', { name: 'Steps' }).locator('.step-list__title').allInnerTexts(), ['Find the neighbour', 'Scan its ports', 'Write down what you found']);
    assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0);
  });
});

test("a lab's owner names a co-author with the keyboard; only then may that author edit it", async (t) => {
  await createUser('ben', 'author');
  const ada = await apiLogin('ada', 'ada-password');
  const created = await api('/api/labs', { method: 'POST', cookie: ada, body: { yaml: brokenLab.replace('port-scan', 'co-written').replace('Port scanning', 'Co-written').replace('containr', 'container') } });
  assert.equal(created.status, 201, await created.text());
  const expectedHttpErrors: ExpectedHttpError[] = [loggedOut, { path: '/api/labs/co-written/authors', status: 400 }];
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors }, async (page) => {
    await page.goto('/labs/co-written');
    await logIn(page, 'ben');
    await page.waitForURL('/labs/co-written');
    await page.getByRole('heading', { level: 1, name: 'Co-written' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0, 'another author may not edit it');
    assert.equal(await page.getByRole('region', { name: 'Authors' }).count(), 0);
    await page.goto('/labs/co-written/edit');
    await page.getByRole('heading', { name: 'This lab is not yours to change' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('/login');

    await logIn(page, 'ada');
    await page.waitForURL('/');
    await page.goto('/labs/co-written');
    const authors = page.getByRole('region', { name: 'Authors' });
    await authors.getByText('Owner: ada (you)').waitFor();
    const field = authors.getByLabel('Add a co-author');
    await field.focus();
    await page.keyboard.type('lena');
    await page.keyboard.press('Enter');
    await authors.getByRole('alert').getByText(/lena, a learner's account/).waitFor();
    await field.focus();
    await page.keyboard.type('ben');
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('ben is now a co-author of Co-written.').waitFor();
    await authors.getByRole('list', { name: 'Co-authors' }).getByText('ben', { exact: true }).waitFor();
    await reviewScreenshot(page, 'lab-page-authors');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('/login');

    await logIn(page, 'ben');
    await page.waitForURL('/');
    await page.goto('/labs/co-written');
    await page.getByRole('link', { name: 'Edit' }).waitFor();
    await authors.getByText('only the owner or an admin names them', { exact: false }).waitFor();
    assert.equal(await authors.getByRole('button', { name: /Remove/ }).count(), 0, 'a co-author does not name authors');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('/login');

    await logIn(page, 'ada');
    await page.waitForURL('/');
    await page.goto('/labs/co-written');
    const remove = authors.getByRole('button', { name: 'Remove ben as co-author' });
    await remove.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('ben is no longer a co-author of Co-written.').waitFor();
    await authors.getByText('No co-authors yet.').waitFor();
  });
});

test('an author sees a broken file lab with each problem and where it is, and file labs as read-only; a user does not see it', async (t) => {
  // A server of its own, whose labs directory holds one good file and one broken file.
  const dir = mkdtempSync(path.join(tmpdir(), 'labhub-e2e-labs-'));
  copyFileSync(path.join(labsDir, 'shell.yaml'), path.join(dir, 'shell.yaml'));
  // The file names ada its author: she sees its problems (decision 0015).
  writeFileSync(path.join(dir, 'broken.yaml'), brokenLab.replace('port-scan', 'broken-box').replace('Port scanning', 'Broken box').replace('metadata:\n', 'metadata:\n  authors: [ada]\n'));
  const own = await startServer({ env: { LABHUB_LABS_DIR: dir } });
  try {
    await createUser('ada', 'author', own);
    await createUser('lena', 'user', own);
    await withPage(t, browser, { baseURL: own.url, expectedHttpErrors: [loggedOut] }, async (page) => {
      await page.goto('/');
      await logIn(page, 'ada');
      await page.waitForURL('/');
      const broken = card(page, 'broken-box');
      await broken.getByText('Broken', { exact: true }).waitFor();
      await broken.getByText('1 problem to fix').waitFor();
      await broken.getByRole('link').click();
      await page.waitForURL('/labs/broken-box');
      const notice = page.getByRole('region', { name: 'This lab is broken and cannot be started' });
      await notice.getByText('broken.yaml').waitFor();
      const problem = notice.getByRole('listitem');
      assert.equal((await problem.innerText()).replace(/\s+/g, ' ').trim(), 'Line 11, column 13: 11:13 spec.machines[0].type must be one of: container, vm');
      assert.equal(await page.getByRole('button', { name: 'Start' }).count(), 0, 'a broken lab cannot be started');
      await reviewScreenshot(page, 'lab-page-broken');

      await page.goto('/labs/shell');
      await page.getByText('From file shell.yaml, read-only here.').waitFor();
      assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0, 'a file lab changes in its file');
      await page.goto('/labs/shell/edit');
      await page.getByRole('heading', { name: 'This lab is read-only here' }).waitFor();

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL('/login');
      await logIn(page, 'lena');
      await page.waitForURL('/');
      await card(page, 'A Linux shell').waitFor();
      assert.equal(await card(page, 'broken-box').count(), 0, 'a user sees only labs that can start');
    });
  } finally {
    await own.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A lab whose machine's image exists nowhere: starting it fails, in words that name the image. */
const ghostLab = `apiVersion: labhub.io/v1
kind: Lab
metadata:
  name: ghost-image
  title: Ghost image
spec:
  limits: { maxInstancesPerUser: 1 }
  machines:
    - name: box
      type: container
      image: labhub-test/none
  instructions:
    - title: Nothing to do
`;

test('Start opens the instance page, which says why it failed; Delete removes it; the limit is explained in words', async (t) => {
  const cookie = await apiLogin('ada', 'ada-password');
  const created = await api('/api/labs', { method: 'POST', cookie, body: { yaml: ghostLab } });
  assert.equal(created.status, 201, await created.text());

  const expectedHttpErrors: ExpectedHttpError[] = [loggedOut, { path: '/api/instances', status: 409 }];
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors }, async (page) => {
    await page.goto('/labs/ghost-image');
    await logIn(page, 'lena');
    await page.waitForURL('/labs/ghost-image');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/instances\/[^/]+$/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    // A poll may be on its way when the instance is deleted; it is answered 404.
    expectedHttpErrors.push({ path: `/api/instances/${id}`, status: 404 });

    await page.getByRole('heading', { level: 1, name: 'Ghost image' }).waitFor();
    await page.getByRole('heading', { name: 'This instance could not start' }).waitFor({ timeout: 60_000 });
    const message = await page.getByRole('alert').filter({ hasText: 'labhub-test/none' }).innerText();
    assert.match(message, /labhub-test\/none/);
    await page.getByRole('region', { name: 'Machines' }).getByRole('heading', { name: 'box' }).waitFor();
    await reviewScreenshot(page, 'instance-failed');

    // The lab page now offers the instance instead of a second one.
    await page.getByRole('link', { name: 'ghost-image' }).click();
    await page.waitForURL('/labs/ghost-image');
    await page.getByRole('link', { name: 'Open your instance' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Start/ }).count(), 0, 'the lab allows one instance per person');
    await page.getByText('This lab allows 1 instance per person at a time.').waitFor();

    await mainNav(page).getByRole('link', { name: 'My instances' }).click();
    await page.waitForURL('/instances');
    const row = page.getByRole('row', { name: /Ghost image/ });
    await row.getByText('Failed', { exact: true }).waitFor();
    await row.getByRole('link', { name: 'Ghost image' }).click();
    await page.waitForURL(`/instances/${encodeURIComponent(id)}`);

    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete your instance of Ghost image?' });
    await confirm.getByRole('button', { name: 'Delete instance' }).click();
    await page.waitForURL('/');
    await page.getByRole('status').getByText('Deleting your instance of Ghost image.').waitFor();
    await mainNav(page).getByRole('link', { name: 'My instances' }).click();
    await page.getByRole('heading', { name: 'No instances' }).waitFor({ timeout: 30_000 });

    // Another tab (here: a script in the page) starts the lab while this page still offers Start: Start
    // is idempotent, so the learner lands in the instance the other tab started rather than on a refusal.
    await page.goto('/labs/ghost-image');
    await page.getByRole('button', { name: 'Start' }).waitFor();
    const other = await page.evaluate(async () => (await (await fetch('/api/instances', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lab: 'ghost-image' }) })).json()) as { instance: { id: string } });
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(`/instances/${encodeURIComponent(other.instance.id)}`);
    assert.equal(await page.getByText(/You already have/).count(), 0);
  });
});
