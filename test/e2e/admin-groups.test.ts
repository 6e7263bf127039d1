import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, reviewScreenshot, withPage } from '../support/browser.js';
import { createUser, logIn } from '../support/e2e-api.js';
import { startServer, type E2eServer } from '../support/server.js';

let server: E2eServer;
let browser: Browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await createUser(server, 'ann', 'user');
  await createUser(server, 'bob', 'user');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('an admin manages a group with the keyboard, then finds it in the audit log', async (t) => {
  const expectedHttpErrors = [
    { path: '/api/me', status: 401 },
    { path: '/api/admin/groups', status: 400 }, // the invalid name, on purpose
    { path: '/api/admin/groups/course-a/members', status: 404 }, // the unknown user, on purpose
  ];
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors }, async (page) => {
    await page.goto('/admin/groups');
    await page.waitForURL(/\/login/);
    await logIn(page, 'admin', server.adminPassword);
    await page.waitForURL('/admin/groups');
    await page.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
    await page.getByText('No groups yet').waitFor();

    const newGroup = page.getByRole('form', { name: 'New group' });
    await newGroup.getByLabel('New group').fill('Course A');
    await newGroup.getByLabel('New group').press('Enter');
    await newGroup.getByText('New group uses characters that are not allowed.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'name', 'focus goes to the field to fix');
    await newGroup.getByLabel('New group').fill('course-a');
    await newGroup.getByLabel('Description').fill('Networking, autumn');
    await newGroup.getByLabel('Description').press('Enter');
    await page.getByRole('status').getByText('Created group course-a.').waitFor();
    await page.waitForURL('/admin/groups?group=course-a');

    // The new group opens with focus on its members, ready to add one.
    const members = page.getByRole('region', { name: 'Members of course-a' });
    await members.getByText('No members yet.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Members of course-a');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'username', 'two tabs reach the member field');
    await page.keyboard.type('ghost');
    await page.keyboard.press('Enter');
    await members.getByText('Member to add is not a user.').waitFor();
    await members.getByLabel('Member to add').fill('ann');
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('Added ann to course-a.').waitFor();
    await members.getByRole('rowheader', { name: 'ann' }).waitFor();
    await members.getByRole('cell', { name: /by an admin/ }).waitFor();
    await members.getByLabel('Member to add').fill('bob');
    await page.keyboard.press('Enter');
    await members.getByRole('rowheader', { name: 'bob' }).waitFor();
    await page.getByRole('row', { name: /course-a Networking, autumn 2/ }).waitFor();
    await reviewScreenshot(page, 'admin-groups');

    await members.getByRole('button', { name: 'Remove ann' }).click();
    await page.getByRole('status').getByText('Removed ann from course-a.').waitFor();
    await members.getByRole('rowheader', { name: 'ann' }).waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /course-a Networking, autumn 1/ }).waitFor();

    await page.getByRole('button', { name: 'Delete course-a' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete course-a?' });
    await dialog.getByText('Its 1 member stay users').waitFor();
    await dialog.getByRole('button', { name: 'Delete group' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('No groups yet').waitFor();
    await page.waitForURL('/admin/groups');

    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL('/admin/audit');
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const filters = page.getByRole('form', { name: 'Filter the audit log' });
    await filters.getByLabel('Action').fill('group.member.add');
    await filters.getByLabel('Action').press('Enter');
    await page.waitForURL('/admin/audit?action=group.member.add');
    const rows = page.getByRole('table', { name: 'Audit events' }).getByRole('row');
    // The unfiltered table goes away first.
    await page.getByRole('cell', { name: 'group.member.remove' }).waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: '{"username":"ann"}' }).waitFor();
    await page.getByRole('cell', { name: '{"username":"bob"}' }).waitFor();
    assert.equal(await rows.count(), 3, 'a header and the two additions');
    await reviewScreenshot(page, 'admin-audit');

    await filters.getByLabel('User').fill('nobody');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText('No events match these filters.').waitFor();
    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL('/admin/audit');
    await page.getByRole('cell', { name: 'group.delete' }).waitFor();
  });
});
