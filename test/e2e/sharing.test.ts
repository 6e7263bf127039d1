import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, waitForScreen, withPage, type ExpectedHttpError } from '../support/browser.js';
import { api, apiLogin, createUser, deleteInstances, logIn } from '../support/e2e-api.js';
import { startServer, type E2eServer } from '../support/server.js';

const demoLabs = fileURLToPath(new URL('../../labs/', import.meta.url));
const loggedOut: ExpectedHttpError = { path: '/api/me', status: 401 };

describe('sharing in the browser', { timeout: 600_000 }, () => {
  let server: E2eServer;
  let browser: Browser;
  let id = '';
  let lenaCookie = '';

  before(async () => {
    server = await startServer({ env: { LABHUB_LABS_DIR: demoLabs } });
    browser = await launchBrowser();
    await createUser(server, 'lena', 'user');
    await createUser(server, 'tom', 'user');
    lenaCookie = await apiLogin(server, 'lena', 'lena-password');
    const created = await api(server, '/api/instances', { method: 'POST', cookie: lenaCookie, body: { lab: 'shell' } });
    assert.equal(created.status, 201);
    id = ((await created.json()) as { instance: { id: string } }).instance.id;
  });

  after(async () => {
    await browser?.close();
    if (server) {
      await deleteInstances(server, 'lena', [id]);
      await server.close();
    }
  });

  test("a classmate watches the learner's terminal: sees the typing, cannot type, and loses the view when the share is removed", async (t) => {
    const gone: ExpectedHttpError = { path: `/api/instances/${id}`, status: 404 };
    const noSuchUser: ExpectedHttpError = { path: `/api/instances/${id}/shares`, status: 400 };
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut, noSuchUser], viewport: { width: 1280, height: 800 } }, async (learner) => {
      await learner.goto(`/instances/${id}`);
      await logIn(learner, 'lena');
      await learner.locator('.workspace-header').getByText('Running', { exact: true }).waitFor({ timeout: 240_000 });
      const learnerScreen = learner.locator('.terminal-view .xterm-rows');
      await learner.locator('.connection-state--open').waitFor({ timeout: 60_000 });

      // Share it, watch only, from the workspace header.
      await learner.getByRole('button', { name: 'Share' }).click();
      const dialog = learner.getByRole('dialog', { name: /^Share / });
      await dialog.getByLabel('Username').fill('nobody');
      await dialog.getByRole('button', { name: 'Share', exact: true }).click();
      await dialog.getByText('there is no user "nobody"').waitFor();
      await dialog.getByLabel('Username').fill('tom');
      await dialog.getByLabel('Access').selectOption('view');
      await dialog.getByRole('button', { name: 'Share', exact: true }).click();
      await dialog.getByRole('listitem').filter({ hasText: 'tom' }).getByText('Watches').waitFor();
      await dialog.getByRole('button', { name: 'Done' }).click();

      await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut, gone], viewport: { width: 1280, height: 800 } }, async (watcher) => {
        await watcher.goto(`/instances/${id}`);
        await logIn(watcher, 'tom');
        await watcher.getByText('you are watching: input is off').waitFor();
        await watcher.locator('.watch-only-badge').waitFor();
        assert.equal(await watcher.getByRole('button', { name: /^(Share|Delete|Stop|Reset)$/ }).count(), 0, 'a watcher has no controls');
        await watcher.locator('.connection-state--open').waitFor({ timeout: 60_000 });
        const watcherScreen = watcher.locator('.terminal-view .xterm-rows');

        await learner.getByRole('tab', { name: 'Terminal' }).click();
        await learner.keyboard.type('echo from-lena-$((3*4))');
        await learner.keyboard.press('Enter');
        await waitForScreen(watcherScreen, (text) => text.includes('from-lena-12'), "the learner's output");

        // The watcher types; then the learner types a marker. Whatever the watcher typed would have been echoed before it.
        await watcher.locator('.terminal-view .xterm-screen').click();
        await watcher.keyboard.type('echo from-tom-$((5*5))');
        await watcher.keyboard.press('Enter');
        await learner.keyboard.type('echo after-$((2*2))');
        await learner.keyboard.press('Enter');
        const seen = await waitForScreen(learnerScreen, (text) => text.includes('after-4'), 'the marker');
        await waitForScreen(watcherScreen, (text) => text.includes('after-4'), 'the marker');
        assert.doesNotMatch(seen, /from-tom/, "the watcher's keystrokes never reach the terminal");

        // Removing the share closes the watcher's view at once.
        await learner.getByRole('button', { name: 'Share' }).click();
        await learner.getByRole('button', { name: 'Stop sharing with tom' }).click();
        await learner.getByRole('dialog').getByText('Nobody yet.').waitFor();
        // The socket closes (4403) and the page, asking again, learns the instance is no longer visible to them.
        await watcher.getByText(/You no longer have access to this terminal|its owner stopped sharing it with you/).first().waitFor({ timeout: 5000 });
      });
    });
  });
});
