import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { launchBrowser, reviewScreenshot, waitForScreen, withPage, type ExpectedHttpError } from '../support/browser.js';
import { createUser, deleteInstances, logIn } from '../support/e2e-api.js';
import { startServer, type E2eServer } from '../support/server.js';

const demoLabs = fileURLToPath(new URL('../../labs/', import.meta.url));

/** Asking who is logged in while nobody is answers 401; that is how the UI learns it must show the login page. */
const loggedOut: ExpectedHttpError = { path: '/api/me', status: 401 };

/** Starting the first instance of an image can take a while (the image may be built). */
const startTimeout = 240_000;

describe('guided steps', { timeout: 600_000 }, () => {
  let server: E2eServer;
  let browser: Browser;
  let labsDir: string;
  const started: string[] = [];

  before(async () => {
    labsDir = mkdtempSync(path.join(tmpdir(), 'labhub-e2e-steps-'));
    copyFileSync(path.join(demoLabs, 'shell.yaml'), path.join(labsDir, 'shell.yaml'));
    server = await startServer({ env: { LABHUB_LABS_DIR: labsDir } });
    browser = await launchBrowser();
    await createUser(server, 'gina', 'user');
  });

  after(async () => {
    await browser?.close();
    if (server) {
      await deleteInstances(server, 'gina', started);
      await server.close();
    }
    rmSync(labsDir, { recursive: true, force: true });
  });

  test('the shell lab step by step: a check fails, Run types the command into the terminal, the check passes and stays passed after a reload', async (t) => {
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut], viewport: { width: 1440, height: 900 } }, async (page) => {
      await page.goto('/labs/shell');
      await logIn(page, 'gina');
      await page.waitForURL('/labs/shell');
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      await page.waitForURL(/\/instances\/[^/?]+/);
      started.push(decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!));
      await page.locator('.workspace-header').getByText('Running', { exact: true }).waitFor({ timeout: startTimeout });
      const screen = page.locator('.terminal-view .xterm-rows');
      await page.locator('.connection-state--open').waitFor({ timeout: 60_000 });
      await waitForScreen(screen, (text) => /[#$]\s*$/m.test(text), 'a prompt');

      // One step at a time: the first shows, with a progress bar of the one check.
      const instructions = page.getByRole('complementary', { name: 'Instructions' });
      await instructions.getByRole('heading', { level: 3, name: 'Step 1: Where am I?' }).waitFor();
      assert.equal(await instructions.getByRole('heading', { level: 3 }).count(), 1, 'one step shows at a time');
      const progress = instructions.getByRole('progressbar', { name: 'Checks passed' });
      assert.equal(await progress.getAttribute('aria-valuenow'), '0');
      assert.equal(await progress.getAttribute('aria-valuemax'), '1');
      assert.equal(await instructions.getByRole('button', { name: 'Previous' }).isDisabled(), true);
      assert.equal(await instructions.getByRole('button', { name: 'Check' }).count(), 0, 'step 1 has no check');

      await instructions.getByRole('button', { name: 'Next' }).click();
      const step2 = instructions.getByRole('region', { name: 'Step 2: Make a file' });
      await step2.waitFor();
      assert.equal(await instructions.getByRole('heading', { level: 3 }).count(), 1);

      // The check fails before the file is made, and says why.
      await step2.getByRole('button', { name: 'Check' }).click();
      await step2.getByText('Not yet: the check did not pass.').waitFor({ timeout: 30_000 });
      assert.match(await step2.locator('pre.step-check__output').innerText(), /hello\.txt/, 'the output of the failed check is shown');
      assert.equal(await step2.getByText('Passed', { exact: true }).count(), 0);
      await reviewScreenshot(page, 'guided-steps-check-failed');

      // Run types the code block into the terminal: its output appears there.
      await page.getByRole('tab', { name: 'Terminal' }).click();
      await step2.locator('.code-block').getByRole('button', { name: 'Run' }).click();
      await waitForScreen(screen, (text) => /^hello\s*$/m.test(text), 'the output of cat ~/hello.txt');
      assert.equal(await page.getByRole('tab', { name: 'Terminal' }).getAttribute('aria-selected'), 'true', 'the terminal shows');

      // Now the check passes, and the progress bar counts it.
      await step2.getByRole('button', { name: 'Check' }).click();
      await step2.getByText('Passed', { exact: true }).waitFor({ timeout: 30_000 });
      await waitForAttribute(progress, 'aria-valuenow', '1');
      await instructions.getByRole('button', { name: 'Step 2: Make a file, passed' }).waitFor();
      await instructions.getByRole('status').filter({ hasText: 'All 1 check passed' }).waitFor();
      assert.equal(await step2.locator('pre.step-check__output').count(), 0, 'no failure output once passed');
      await reviewScreenshot(page, 'guided-steps-check-passed');

      // A reload keeps the step, its pass and the count.
      await page.reload();
      await step2.waitFor();
      await step2.getByText('Passed', { exact: true }).waitFor();
      await waitForAttribute(progress, 'aria-valuenow', '1');
      await instructions.getByRole('button', { name: 'Step 2: Make a file, passed' }).waitFor();
      await instructions.getByRole('status').filter({ hasText: 'All 1 check passed' }).waitFor();
      await page.locator('.connection-state--open').waitFor({ timeout: 30_000 });
    });
  });
});

async function waitForAttribute(locator: Locator, name: string, value: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let seen: string | null = null;
  while (Date.now() < deadline) {
    seen = await locator.getAttribute(name);
    if (seen === value) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${name} is ${seen}, not ${value}`);
}
