import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, reviewScreenshot, waitForScreen, withPage, type ExpectedHttpError } from '../support/browser.js';
import { createUser, deleteInstances, logIn } from '../support/e2e-api.js';
import { startServer, type E2eServer } from '../support/server.js';

const loggedOut: ExpectedHttpError = { path: '/api/me', status: 401 };
const startTimeout = 240_000;

/** Two machines; step 1's code names `beta`, so Run types it there whichever machine shows; step 2 opens once step 1's check passed. */
const twoShellsLab = `apiVersion: labhub.io/v1
kind: Lab
metadata: { name: two-shells, title: Two shells, authors: [ivan] }
spec:
  guide: { gated: true }
  machines:
    - { name: alpha, type: container, image: labhub/shell, resources: { cpu: 250m, memory: 128Mi } }
    - { name: beta, type: container, image: labhub/shell, resources: { cpu: 250m, memory: 128Mi } }
  instructions:
    - title: Leave a note
      body: |
        Hello {{user.username}}. Whichever terminal shows, this runs on {{machines.beta.host}}:

        \`\`\`sh run:beta
        echo "note from $(hostname)" > /tmp/note && cat /tmp/note
        \`\`\`
      check: { machine: beta, run: "grep -q 'note from beta' /tmp/note" }
    - title: Through
      body: You made it past the gate.
`;

describe('guided steps: Run into a named machine, gating, and the authors\u2019 progress table', { timeout: 600_000 }, () => {
  let server: E2eServer;
  let browser: Browser;
  let labsDir: string;
  const started: string[] = [];

  before(async () => {
    labsDir = mkdtempSync(path.join(tmpdir(), 'labhub-e2e-gated-'));
    writeFileSync(path.join(labsDir, 'two-shells.yaml'), twoShellsLab);
    server = await startServer({ env: { LABHUB_LABS_DIR: labsDir } });
    browser = await launchBrowser();
    await createUser(server, 'hana', 'user');
    await createUser(server, 'ivan', 'author');
  });

  after(async () => {
    await browser?.close();
    if (server) {
      await deleteInstances(server, 'hana', started);
      await server.close();
    }
    rmSync(labsDir, { recursive: true, force: true });
  });

  test('Run types into the machine the block names; the next step opens once the check passed', async (t) => {
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut], viewport: { width: 1440, height: 900 } }, async (page) => {
      await page.goto('/labs/two-shells');
      await logIn(page, 'hana');
      await page.waitForURL('/labs/two-shells');
      assert.equal(await page.getByRole('link', { name: 'Learners’ progress' }).count(), 0, 'learners see no progress link');
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      await page.waitForURL(/\/instances\/[^/?]+/);
      started.push(decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!));
      await page.locator('.workspace-header').getByText('Running', { exact: true }).waitFor({ timeout: startTimeout });

      // alpha, the first machine, shows; the step's variables are filled in for hana.
      const alpha = page.getByRole('region', { name: 'Machine alpha' });
      const beta = page.getByRole('region', { name: 'Machine beta' });
      await alpha.locator('.connection-state--open').waitFor({ timeout: 60_000 });
      const instructions = page.getByRole('complementary', { name: 'Instructions' });
      const step1 = instructions.getByRole('region', { name: 'Step 1: Leave a note' });
      await step1.getByText('Hello hana. Whichever terminal shows, this runs on beta:').waitFor();

      // Gated: step 2 is locked, Next too, and the pane says why.
      const step2Button = instructions.getByRole('button', { name: 'Step 2: Through, locked' });
      assert.equal(await step2Button.isDisabled(), true);
      assert.equal(await instructions.getByRole('button', { name: 'Next' }).isDisabled(), true);
      await instructions.getByText('Pass this step’s check to open the next step.').waitFor();

      await step1.getByRole('button', { name: 'Check' }).click();
      await step1.getByText('Not yet: the check did not pass.').waitFor({ timeout: 30_000 });

      // Run on beta: the workspace switches to beta's terminal and the note is written there.
      await step1.getByRole('button', { name: 'Run on beta' }).click();
      await beta.locator('.connection-state--open').waitFor({ timeout: 60_000 });
      assert.equal(await beta.isVisible(), true, "beta's terminal shows");
      assert.equal(await alpha.isVisible(), false);
      await waitForScreen(beta.locator('.xterm-rows'), (text) => /^note from beta\s*$/m.test(text), 'the note written on beta');
      await reviewScreenshot(page, 'guided-steps-run-on-beta');

      await step1.getByRole('button', { name: 'Check' }).click();
      await step1.getByText('Passed', { exact: true }).waitFor({ timeout: 30_000 });
      await instructions.getByRole('button', { name: 'Step 2: Through', exact: true }).waitFor();
      await instructions.getByRole('button', { name: 'Next' }).click();
      await instructions.getByRole('region', { name: 'Step 2: Through' }).getByText('You made it past the gate.').waitFor();
      assert.equal(await instructions.getByText('Pass this step’s check to open the next step.').count(), 0);
    });
  });

  test("the lab's author follows learners in a table, reached from the lab page with the keyboard", async (t) => {
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut] }, async (page) => {
      await page.goto('/labs/two-shells');
      await logIn(page, 'ivan');
      await page.waitForURL('/labs/two-shells');
      const link = page.getByRole('link', { name: 'Learners’ progress' });
      await link.focus();
      await page.keyboard.press('Enter');
      await page.waitForURL('/labs/two-shells/progress');
      await page.getByRole('heading', { level: 1, name: 'Progress: Two shells' }).waitFor();

      const table = page.getByRole('table', { name: /Progress of each learner/ });
      assert.equal(await table.getByRole('columnheader').count(), 5);
      for (const name of ['Learner', 'Instance', 'Current step', 'Step 1: Leave a note', 'Step 2: Through']) {
        await table.getByRole('columnheader', { name, exact: true }).waitFor();
      }
      const row = table.getByRole('row', { name: /hana/ });
      await row.getByText('All checks passed').waitFor();
      const cells = row.getByRole('cell');
      assert.match(await cells.nth(0).innerText(), /Running/);
      assert.match(await cells.nth(2).innerText(), /\d{1,2}:\d{2}/, 'step 1 shows when its check passed');
      assert.equal((await cells.nth(3).innerText()).trim(), '—', 'step 2 has no check');

      // The scrollable table and the link to the learner's instance are reachable with Tab.
      const region = page.getByRole('region', { name: 'Progress of the learners' });
      await region.focus();
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
      assert.equal(focused, "Running: watch hana's instance");
      await reviewScreenshot(page, 'lab-progress-table');

      // The same table as a spreadsheet, for the lab's author.
      const csv = await page.request.get(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href') ?? '');
      assert.equal(csv.status(), 200);
      assert.match(await csv.text(), /^"username","instance","status","current step","1\. Leave a note","2\. Through"\r\n"hana",/);
    });
  });
});
