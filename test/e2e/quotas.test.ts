import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, withPage, type ExpectedHttpError } from '../support/browser.js';
import { api, apiLogin, createUser, deleteInstances, logIn } from '../support/e2e-api.js';
import { startServer, type E2eServer } from '../support/server.js';

const demoLabs = fileURLToPath(new URL('../../labs/', import.meta.url));
const loggedOut: ExpectedHttpError = { path: '/api/me', status: 401 };

describe('quotas in the browser', { timeout: 600_000 }, () => {
  let server: E2eServer;
  let browser: Browser;
  let cookie = '';

  before(async () => {
    server = await startServer({ env: { LABHUB_LABS_DIR: demoLabs, LABHUB_QUOTA_INSTANCES: '1' } });
    browser = await launchBrowser();
    await createUser(server, 'rita', 'user');
    cookie = await apiLogin(server, 'rita', 'rita-password');
    assert.equal((await api(server, '/api/instances', { method: 'POST', cookie, body: { lab: 'shell' } })).status, 201);
  });

  after(async () => {
    await browser?.close();
    if (server) {
      const list = (await (await api(server, '/api/instances', { cookie })).json()) as { instances: { id: string }[] };
      await deleteInstances(server, 'rita', list.instances.map(({ id }) => id));
      await server.close();
    }
  });

  test('the lab page shows what the learner has of their quota, and a start over it says which limit and why', async (t) => {
    const refused: ExpectedHttpError = { path: '/api/instances', status: 409 };
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut, refused] }, async (page) => {
      await page.goto('/labs/desktop');
      await logIn(page, 'rita');
      await page.getByText(/You have 1 of your 1 instance; the running ones use/).waitFor();
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      await page.getByRole('alert').getByText('You have 1 instance and your quota is 1; delete one you no longer need first.').waitFor();
      assert.equal(page.url().endsWith('/labs/desktop'), true, 'nothing started: the page stays');
    });
  });
});
