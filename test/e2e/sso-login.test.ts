import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, reviewScreenshot, withPage } from '../support/browser.js';
import { api, apiLogin } from '../support/e2e-api.js';
import { oidcClientId, oidcClientSecret, startTestProvider, type TestProvider } from '../support/oidc-provider.js';
import { startServer, type E2eServer } from '../support/server.js';

let provider: TestProvider;
let server: E2eServer;
let ssoOnly: E2eServer;
let browser: Browser;

before(async () => {
  const servers: E2eServer[] = [];
  provider = await startTestProvider(() => servers.map((started) => `${started.url}/api/auth/oidc/callback`));
  const env = {
    LABHUB_OIDC_ISSUER: provider.issuer,
    LABHUB_OIDC_CLIENT_ID: oidcClientId,
    LABHUB_OIDC_CLIENT_SECRET: oidcClientSecret,
    LABHUB_OIDC_SCOPES: 'openid email profile groups',
    LABHUB_OIDC_GROUPS_CLAIM: 'groups',
    LABHUB_OIDC_NAME: 'Corp ID',
  };
  server = await startServer({ env });
  ssoOnly = await startServer({ env: { ...env, LABHUB_LOCAL_LOGIN: 'false' } });
  servers.push(server, ssoOnly);
  browser = await launchBrowser();
  const admin = await apiLogin(server, 'admin', server.adminPassword);
  assert.equal((await api(server, '/api/admin/groups', { method: 'POST', cookie: admin, body: { name: 'course-a' } })).status, 201);
});

after(async () => {
  await browser?.close();
  await ssoOnly?.close();
  await server?.close();
  await provider?.close();
});

/** The provider's development login pages style themselves with a web font; answer it here, the tests reach no other host. */
async function keepOffline(page: Page): Promise<void> {
  await page.route(/^https:\/\/fonts\.googleapis\.com\//, (route) => route.fulfill({ status: 200, contentType: 'text/css', body: '' }));
}

/** Logs in at the provider's development pages, as `account`, and consents. */
async function signInAtProvider(page: Page, account: string): Promise<void> {
  await page.waitForURL((url) => url.href.startsWith(provider.issuer));
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

const loggedOut = { path: '/api/me', status: 401 };

test('"Sign in with Corp ID" logs a new user in, back where they were going, in their groups', async (t) => {
  provider.accounts.set('sub-zoe', { email: 'zoe@corp.com', email_verified: true, name: 'Zoe Quinn', preferred_username: 'zoe', groups: ['course-a'] });
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut] }, async (page) => {
    await keepOffline(page);
    await page.goto('/instances');
    await page.waitForURL('/login?next=%2Finstances');
    // Both ways are offered: single sign-on first, the local account below.
    await page.getByLabel('Username', { exact: true }).waitFor();
    await reviewScreenshot(page, 'login-sso');
    await page.getByRole('link', { name: 'Sign in with Corp ID' }).click();
    await signInAtProvider(page, 'sub-zoe');
    await page.waitForURL(`${server.url}/instances`);
    await page.getByRole('banner').getByText('Zoe Quinn').waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/me')).json());
    assert.equal(me.user.username, 'zoe');
    assert.deepEqual(me.groups, ['course-a']);
  });
});

test('a refused login comes back to the login page with the reason', async (t) => {
  provider.accounts.set('sub-unverified', { email: 'eve@corp.com', email_verified: 'true' });
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut] }, async (page) => {
    await keepOffline(page);
    await page.goto('/login');
    await page.getByRole('link', { name: 'Sign in with Corp ID' }).click();
    await signInAtProvider(page, 'sub-unverified');
    await page.waitForURL(`${server.url}/login?sso_error=email_unverified`);
    await page.getByRole('alert').getByText('Your email address is not verified at your sign-in provider.').waitFor();
  });
});

test('with local login off the page offers only single sign-on', async (t) => {
  await withPage(t, browser, { baseURL: ssoOnly.url, expectedHttpErrors: [loggedOut] }, async (page) => {
    await page.goto('/login');
    await page.getByRole('link', { name: 'Sign in with Corp ID' }).waitFor();
    assert.equal(await page.getByLabel('Username', { exact: true }).count(), 0);
    assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0);
    await reviewScreenshot(page, 'login-sso-only');
  });
});
