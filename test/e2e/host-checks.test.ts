import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, withPage } from '../support/browser.js';
import { startCniPodman } from '../support/cni-podman.js';
import { logIn } from '../support/e2e-api.js';
import { startServer, type E2eServer } from '../support/server.js';

let cni: Awaited<ReturnType<typeof startCniPodman>>;
let server: E2eServer;
let browser: Browser;

before(async () => {
  // An engine set up like the old install: Podman with CNI, whose lab networks have no DNS.
  cni = await startCniPodman();
  server = await startServer({ env: { LABHUB_ENGINE_SOCKET: cni.socket } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await cni?.close();
});

test('an admin sees the failed network check with its fix under Admin → Host checks', async (t) => {
  await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [{ path: '/api/me', status: 401 }] }, async (page) => {
    await page.goto('/admin');
    await page.waitForURL(/\/login/);
    await logIn(page, 'admin', server.adminPassword);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Host checks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Host checks' }).waitFor();
    const network = page.locator('[data-check="network"]');
    await network.getByText('Failed').waitFor({ timeout: 60_000 });
    assert.match(await network.innerText(), /CNI network backend.*cannot find each other by name/s);
    assert.equal(await network.locator('code').innerText(), 'bash scripts/setup-engine.sh');
    assert.match(await page.locator('[data-check="engine"]').innerText(), /^OK/);
  });
});
