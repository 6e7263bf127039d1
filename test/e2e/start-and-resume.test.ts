import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, withPage, type ExpectedHttpError } from '../support/browser.js';
import { api, apiLogin, createUser, deleteInstances, logIn } from '../support/e2e-api.js';
import { startServer, type E2eServer } from '../support/server.js';

const demoLabs = fileURLToPath(new URL('../../labs/', import.meta.url));

/** Asking who is logged in while nobody is answers 401; that is how the UI learns it must show the login page. */
const loggedOut: ExpectedHttpError = { path: '/api/me', status: 401 };

/** Starting the first instance of an image can take a while (the image may be built). */
const startTimeout = 240_000;

/** Issue 14, item 5: Start is idempotent from the page, and a message about a state that has passed goes with it. */
describe('starting and resuming from the page', { timeout: 900_000 }, () => {
  let server: E2eServer;
  let browser: Browser;
  let labsDir: string;
  const started: string[] = [];

  before(async () => {
    labsDir = mkdtempSync(path.join(tmpdir(), 'labhub-e2e-start-'));
    // The shell lab allows one instance per person.
    copyFileSync(path.join(demoLabs, 'shell.yaml'), path.join(labsDir, 'shell.yaml'));
    server = await startServer({ env: { LABHUB_LABS_DIR: labsDir } });
    browser = await launchBrowser();
    await createUser(server, 'dora', 'user');
  });

  after(async () => {
    await browser?.close();
    if (server) {
      await deleteInstances(server, 'dora', started);
      await server.close();
    }
    rmSync(labsDir, { recursive: true, force: true });
  });

  const instanceIdOf = (page: Page) => decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

  test('a double click on Start lands the learner in their one instance, not on "You already have an instance"', async (t) => {
    // A second request that got through is refused (409) and answered by going to the instance.
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut, { path: '/api/instances', status: 409 }] }, async (page) => {
      await page.goto('/labs/shell');
      await logIn(page, 'dora');
      await page.waitForURL('/labs/shell');
      await page.getByRole('button', { name: 'Start', exact: true }).dblclick();
      await page.waitForURL(/\/instances\/[^/?]+$/, { timeout: 60_000 });
      const id = instanceIdOf(page);
      started.push(id);
      await page.getByRole('heading', { level: 1, name: 'A Linux shell' }).waitFor();
      assert.equal(await page.getByText(/You already have/).count(), 0);
      const cookie = await apiLogin(server, 'dora', 'dora-password');
      const instances = (await (await api(server, '/api/instances', { cookie })).json()) as { instances: Array<{ id: string }> };
      assert.deepEqual(
        instances.instances.map((instance) => instance.id),
        [id],
        'one instance, the one the page shows',
      );
    });
  });

  test('"The check could not run" while paused goes away once the instance resumes', async (t) => {
    const expectedHttpErrors: ExpectedHttpError[] = [loggedOut];
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors }, async (page) => {
      await page.goto('/labs/shell');
      await logIn(page, 'dora');
      await page.waitForURL('/labs/shell');
      await page.getByRole('link', { name: 'Open your instance' }).click();
      await page.waitForURL(/\/instances\/[^/?]+$/);
      // The check asked while paused is refused; the page says so.
      expectedHttpErrors.push({ path: `/api/instances/${instanceIdOf(page)}/steps/2/check`, status: 409 });
      const header = page.locator('.workspace-header');
      await header.getByText('Running', { exact: true }).waitFor({ timeout: startTimeout });

      await header.getByRole('button', { name: 'Pause' }).click();
      await header.getByText('Paused', { exact: true }).waitFor({ timeout: 60_000 });
      const instructions = page.getByRole('complementary', { name: 'Instructions' });
      await instructions.getByRole('button', { name: 'Next' }).click();
      const step2 = instructions.getByRole('region', { name: 'Step 2: Make a file' });
      await step2.getByRole('button', { name: 'Check' }).click();
      const stale = step2.getByText(/The check could not run: The instance is not running/);
      await stale.waitFor({ timeout: 30_000 });

      await header.getByRole('button', { name: 'Resume' }).click();
      await header.getByText('Running', { exact: true }).waitFor({ timeout: 60_000 });
      await stale.waitFor({ state: 'detached', timeout: 10_000 });
      // And checking now runs the check: it fails for the right reason, the file is not there yet.
      await step2.getByRole('button', { name: 'Check' }).click();
      await step2.getByText('Not yet: the check did not pass.').waitFor({ timeout: 30_000 });
    });
  });
});
