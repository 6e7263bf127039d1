import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, reviewScreenshot, withPage, type ExpectedHttpError } from '../support/browser.js';
import { startServer, type E2eServer } from '../support/server.js';

let server: E2eServer;
let browser: Browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Asking who is logged in while nobody is answers 401; that is how the UI learns it must show the login page. */
const loggedOut: ExpectedHttpError = { path: '/api/me', status: 401 };

async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password', { exact: true }).press('Enter');
}

const mainNav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

test('an admin creates a user in the UI; that user logs in, sees the catalog and no admin pages', async (t) => {
  const expectedHttpErrors = [
    loggedOut,
    { path: '/api/admin/users', status: 400 }, // the too-short password, on purpose
    { path: '/api/admin/users', status: 409 }, // the taken username, on purpose
  ];
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors }, async (page) => {
    await page.goto('/');
    await page.waitForURL('/login');
    await logIn(page, 'admin', server.adminPassword);
    await page.waitForURL('/');
    await page.getByRole('heading', { level: 1, name: 'Catalog' }).waitFor();
    await page.getByText('No labs yet').waitFor();
    await page.getByRole('banner').getByText('Administrator').waitFor();

    await mainNav(page).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
    await page.waitForURL('/admin/users');
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await page.getByRole('rowheader', { name: /admin/ }).waitFor();

    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Username', { exact: true }).fill('admin');
    await dialog.getByLabel('Display name').fill('Ada Lovelace');
    await dialog.getByLabel('Email').fill('ada@example.org');
    await dialog.getByLabel('Password', { exact: true }).fill('short');
    await dialog.getByLabel('Role').selectOption('user');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    // The server's field problems appear next to the field they are about.
    await dialog.getByText('Password must have at least 8 characters.').waitFor();
    assert.equal(await dialog.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'password', 'focus moves to the field to fix');

    await dialog.getByLabel('Password', { exact: true }).fill('ada-password-1');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByText('Username is taken.').waitFor();
    assert.equal(await dialog.getByText('Password must have').count(), 0, 'a fixed field shows no problem any more');

    await dialog.getByLabel('Username', { exact: true }).fill('ada');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').getByText('Created user ada.').waitFor();
    const row = page.getByRole('row', { name: /ada/ });
    await row.getByRole('cell', { name: 'Ada Lovelace' }).waitFor();
    await row.getByRole('cell', { name: 'ada@example.org' }).waitFor();
    assert.equal(await row.getByRole('combobox', { name: 'Role of ada' }).inputValue(), 'user');
    await reviewScreenshot(page, 'admin-users');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('/login');

    await logIn(page, 'ada', 'ada-password-1');
    await page.waitForURL('/');
    await page.getByText('No labs yet').waitFor();
    await page.getByRole('banner').getByText('Ada Lovelace').waitFor();
    await mainNav(page).getByRole('link', { name: 'Catalog' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0, 'a user sees no Admin link');
    assert.equal(await page.getByText('Created user ada.').count(), 0, "no notice of the admin's session is left for the next user");
    await reviewScreenshot(page, 'catalog');

    await page.goto('/admin/users');
    await page.getByRole('heading', { name: 'This page is for administrators' }).waitFor();
    assert.equal(await page.getByRole('table').count(), 0);
  });
});

test('a wrong password is refused in words; logging in then returns to the page asked for', async (t) => {
  const expectedHttpErrors = [loggedOut, { path: '/api/auth/login', status: 401 }];
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors }, async (page) => {
    await page.goto('/admin/users');
    await page.waitForURL('/login?next=%2Fadmin%2Fusers');
    const username = page.getByLabel('Username', { exact: true });
    await username.waitFor();
    assert.ok(await username.evaluate((input) => input === document.activeElement), 'the username field has focus');

    await logIn(page, 'admin', 'not-the-password');
    await page.getByRole('alert').getByText('Wrong username or password.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'password', 'focus returns to the password');
    await reviewScreenshot(page, 'login-error');

    await logIn(page, 'admin', server.adminPassword);
    await page.waitForURL('/admin/users');
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();

    await page.goto('/no/such/page');
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
  });
});

test('after too many wrong passwords the login page says when to try again', async (t) => {
  const expectedHttpErrors = [loggedOut, { path: '/api/auth/login', status: 401 }, { path: '/api/auth/login', status: 429 }];
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors }, async (page) => {
    await page.goto('/login');
    const attempt = async () => {
      const response = page.waitForResponse((candidate) => new URL(candidate.url()).pathname === '/api/auth/login');
      await logIn(page, 'mallory', 'guess-the-password');
      return (await response).status();
    };
    for (let failures = 0; failures < 5; failures++) assert.equal(await attempt(), 401);
    // From the fifth failure on, this client waits 1 s, 2 s, 4 s, … before its next try: a slow
    // browser may still slip one attempt past a short wait, never many.
    let status = await attempt();
    for (let tries = 0; status === 401 && tries < 5; tries++) status = await attempt();
    assert.equal(status, 429);
    await page.getByRole('alert').getByText(/^Too many login attempts\. Try again in \d+ (seconds?|minutes)\.$/).waitFor();
  });
});

test('an admin changes a role, disables and enables an account and resets its password', async (t) => {
  const expectedHttpErrors = [loggedOut, { path: '/api/auth/login', status: 401 }];
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors }, async (page) => {
    await page.goto('/admin/users');
    await logIn(page, 'admin', server.adminPassword);
    await page.waitForURL('/admin/users');
    await page.getByRole('button', { name: 'New user' }).click();
    const newUser = page.getByRole('dialog', { name: 'New user' });
    await newUser.getByLabel('Username', { exact: true }).fill('grace');
    await newUser.getByLabel('Password', { exact: true }).fill('grace-password-1');
    await newUser.getByRole('button', { name: 'Create user' }).click();
    await newUser.waitFor({ state: 'hidden' });

    const row = page.getByRole('row', { name: /grace/ });
    await row.getByRole('combobox', { name: 'Role of grace' }).selectOption('author');
    await page.getByRole('status').getByText('grace is now an author.').waitFor();

    await row.getByRole('button', { name: 'Disable grace' }).click();
    const confirm = page.getByRole('dialog', { name: 'Disable grace?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await row.getByText('Active').waitFor();
    await row.getByRole('button', { name: 'Disable grace' }).click();
    await confirm.getByRole('button', { name: 'Disable user' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await row.getByText('Disabled', { exact: true }).waitFor();

    await row.getByRole('button', { name: 'Reset password of grace' }).click();
    const reset = page.getByRole('dialog', { name: 'Reset the password of grace' });
    await reset.getByLabel('New password').fill('grace-password-2');
    await reset.getByRole('button', { name: 'Set password' }).click();
    await reset.waitFor({ state: 'hidden' });
    await page.getByRole('status').getByText('Changed the password of grace.').waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('/login');
    await logIn(page, 'grace', 'grace-password-2');
    // A disabled account answers as a wrong password: the login page cannot tell which accounts exist.
    await page.getByRole('alert').getByText('Wrong username or password.').waitFor();

    await logIn(page, 'admin', server.adminPassword);
    await page.waitForURL('/');
    await mainNav(page).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('row', { name: /grace/ }).getByRole('button', { name: 'Enable grace' }).click();
    await page.getByRole('status').getByText('Enabled grace.').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('/login');

    await logIn(page, 'grace', 'grace-password-2');
    await page.waitForURL('/');
    await page.getByRole('banner').getByText('Author').waitFor();
  });
});
