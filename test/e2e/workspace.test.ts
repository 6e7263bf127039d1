import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { launchBrowser, reviewScreenshot, waitForScreen, withPage, type ExpectedHttpError } from '../support/browser.js';
import { api, apiLogin, createUser, deleteInstances, logIn } from '../support/e2e-api.js';
import { startServer, type E2eServer } from '../support/server.js';

const demoLabs = fileURLToPath(new URL('../../labs/', import.meta.url));

/** A lab whose instructions try to run code in the learner's browser in every way Markdown allows. */
const unsafeLab = `apiVersion: labhub.io/v1
kind: Lab
metadata:
  name: unsafe-notes
  title: Unsafe notes
  description: Instructions that try to run code in the learner's browser.
spec:
  machines:
    - name: box
      type: container
      image: labhub/shell
      access: [terminal]
  instructions:
    - title: Read this
      body: |
        Run \`uname -a\` to see the kernel, or read [the manual](https://example.org/manual). ![the logo](data:,)

        <script>window.__labhubInjected = 'script'</script>

        <img src="data:," onerror="window.__labhubInjected = 'onerror'" alt="a picture">

        [a trap](javascript:window.__labhubInjected='link') and <a href="#top" onclick="window.__labhubInjected='onclick'">another</a>

        <iframe src="/"></iframe>
        <style>body { display: none }</style>
`;

/** A lab whose limits are near from the start: its time limit warns at once, and with no terminal or desktop open it is idle. */
const shortLab = `apiVersion: labhub.io/v1
kind: Lab
metadata:
  name: short-session
  title: A short session
spec:
  limits: { timeLimit: 8m, idleTimeout: 4m }
  machines:
    - name: web
      type: container
      image: labhub/shell
      access: [{ http: 8080 }]
  instructions:
    - title: Look at the app
      body: Open the app on port 8080 from the link above the machine.
`;

/** Asking who is logged in while nobody is answers 401; that is how the UI learns it must show the login page. */
const loggedOut: ExpectedHttpError = { path: '/api/me', status: 401 };

/** Starting the first instance of an image can take a while (the image may be built). */
const startTimeout = 240_000;

describe('workspace', { timeout: 900_000 }, () => {
  let server: E2eServer;
  let browser: Browser;
  let labsDir: string;
  const started: string[] = [];

  before(async () => {
    labsDir = mkdtempSync(path.join(tmpdir(), 'labhub-e2e-workspace-'));
    for (const file of ['shell.yaml', 'desktop.yaml', 'mixed.yaml']) copyFileSync(path.join(demoLabs, file), path.join(labsDir, file));
    writeFileSync(path.join(labsDir, 'unsafe-notes.yaml'), unsafeLab);
    writeFileSync(path.join(labsDir, 'short-session.yaml'), shortLab);
    // One learner starts many instances here: a quota as large as the tests need.
    server = await startServer({ env: { LABHUB_LABS_DIR: labsDir, LABHUB_QUOTA_INSTANCES: '20', LABHUB_QUOTA_CPU: '32', LABHUB_QUOTA_MEMORY: '64Gi' } });
    browser = await launchBrowser();
    await createUser(server, 'lena', 'user');
  });

  after(async () => {
    await browser?.close();
    if (server) {
      // The pages are closed: no terminal reconnects into a deleted instance.
      await deleteInstances(server, 'lena', started);
      await server.close();
    }
    rmSync(labsDir, { recursive: true, force: true });
  });

  /** Logs in on the lab's page, presses Start and returns the new instance's id once its workspace shows. */
  async function startFromLabPage(page: Page, lab: string, title: string): Promise<string> {
    await page.goto(`/labs/${lab}`);
    await logIn(page, 'lena');
    await page.waitForURL(`/labs/${lab}`);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.waitForURL(/\/instances\/[^/?]+/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    started.push(id);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    return id;
  }

  test('the shell lab: status, instructions and a terminal that works, fits, keeps focus rules and shows the same screen once after a reload', async (t) => {
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut], viewport: { width: 1440, height: 900 } }, async (page) => {
      await startFromLabPage(page, 'shell', 'A Linux shell');
      await reviewScreenshot(page, 'workspace-starting');
      const header = page.locator('.workspace-header');
      await header.getByText('Running', { exact: true }).waitFor({ timeout: startTimeout });
      await header.getByText('Time left').waitFor();
      assert.match(await header.locator('time.time-left__value').innerText(), /^(\d+:)?\d+:\d\d$/, 'the time left ticks as (hours,) minutes and seconds');
      await page.getByRole('region', { name: 'Machines' }).getByRole('heading', { name: 'shell' }).waitFor();

      // The instructions: every step, its Markdown rendered.
      const instructions = page.getByRole('complementary', { name: 'Instructions' });
      await instructions.getByRole('heading', { name: 'Step 1: Where am I?' }).waitFor();
      const steps = await instructions.getByRole('heading', { level: 3 }).evaluateAll((headings) => headings.map((heading) => heading.textContent));
      assert.deepEqual(steps, ['1Step 1: Where am I?'], 'one step at a time (guided steps page through them)');
      await instructions.locator('.markdown pre code').first().waitFor();
      assert.match(await instructions.locator('.markdown pre code').first().innerText(), /whoami/);
      assert.equal(await instructions.locator('.markdown p code', { hasText: 'hello.txt' }).count(), 1);

      // The terminal connects by itself; typing runs commands.
      const screen = page.locator('.terminal-view .xterm-rows');
      await page.locator('.connection-state--open').waitFor({ timeout: 60_000 });
      await waitForScreen(screen, (text) => /[#$]\s*$/m.test(text), 'a prompt');
      await page.getByRole('tab', { name: 'Terminal' }).click();
      assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea')), true, 'opening the tab puts the focus into the terminal');
      await page.keyboard.type('echo hi-$((6*7))');
      await page.keyboard.press('Enter');
      await waitForScreen(screen, (text) => text.includes('hi-42'), 'hi-42');

      // The terminal fits its pane and told the shell its size.
      await page.keyboard.type('stty size');
      await page.keyboard.press('Enter');
      const size = await waitForScreen(screen, (text) => /^\s*\d+ \d+\s*$/m.test(text), 'the output of stty size');
      const [rows] = /^\s*(\d+) (\d+)\s*$/m.exec(size)!.slice(1).map(Number);
      assert.equal(rows, await screen.locator(':scope > div').count(), 'the PTY has as many rows as the terminal shows');

      await page.keyboard.type('echo MARK$((1+1))');
      await page.keyboard.press('Enter');
      await waitForScreen(screen, (text) => text.includes('MARK2'), 'MARK2');
      assert.equal(count(await screen.textContent(), 'MARK2'), 1);
      await reviewScreenshot(page, 'workspace-shell');

      // Keyboard: the instructions toggle from anywhere, even from inside the terminal; another shortcut leaves the terminal.
      await page.keyboard.press('Alt+Shift+I');
      await instructions.waitFor({ state: 'hidden' });
      assert.equal(await page.getByRole('button', { name: 'Instructions' }).getAttribute('aria-expanded'), 'false');
      await reviewScreenshot(page, 'workspace-shell-without-instructions');
      await page.keyboard.press('Alt+Shift+I');
      await instructions.waitFor();
      await page.keyboard.press('Alt+Shift+T');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'tab');
      await page.getByRole('button', { name: 'Terminal keys' }).click();
      await page.getByRole('dialog', { name: 'Terminal keys' }).getByText('Ctrl+Shift+C').waitFor();
      await reviewScreenshot(page, 'workspace-terminal-keys');
      await page.keyboard.press('Escape');

      // A reload shows the same screen, once: the gateway replays it and the page does not add to it.
      await page.reload();
      await page.locator('.connection-state--open').waitFor({ timeout: 30_000 });
      await waitForScreen(screen, (text) => text.includes('MARK2'), 'MARK2 after the reload');
      await page.waitForTimeout(1500);
      assert.equal(count(await screen.textContent(), 'MARK2'), 1, 'the screen is shown once after a reload');
      assert.equal(count(await screen.textContent(), 'hi-42'), 1);
      assert.equal(new URL(page.url()).searchParams.get('view'), 'terminal', 'the view shown is in the address');

      // Lost connections: from here on the terminal's sockets pass through the test, which can drop or refuse them.
      const sockets: WebSocketRoute[] = [];
      let refuse = 0;
      await page.routeWebSocket(/\/machines\/shell\/terminal$/, (socket) => {
        if (refuse > 0) {
          refuse--;
          void socket.close({ code: 1011, reason: 'could not connect to the machine' });
          return;
        }
        socket.connectToServer();
        sockets.push(socket);
      });
      const state = page.locator('.terminal-view .connection-state');
      await page.getByRole('button', { name: 'Reconnect the terminal of shell' }).click();
      await page.locator('.terminal-view .connection-state--open').waitFor();
      assert.equal(sockets.length, 1, 'Reconnect opened a new socket');
      await waitForScreen(screen, (text) => text.includes('MARK2'), 'MARK2 after Reconnect');

      // A drop is told in a banner, and the terminal comes back by itself with backoff, even through refusals.
      refuse = 2;
      await sockets[0]!.close({ code: 1001, reason: 'the server is going away' });
      const lost = page.locator('.connection-banner').getByText('Connection lost — reconnecting…');
      await lost.waitFor();
      await reviewScreenshot(page, 'workspace-connection-lost');
      await page.locator('.terminal-view .connection-state--open').waitFor({ timeout: 15_000 });
      await lost.waitFor({ state: 'detached' });
      assert.equal(refuse, 0, 'it kept trying after refusals');
      assert.equal(sockets.length, 2);
      await page.waitForTimeout(500);
      assert.equal(count(await screen.textContent(), 'MARK2'), 1, 'the replayed screen replaces the old one');

      // 4409 while the API still says running: said so, and tried again shortly.
      await sockets[1]!.close({ code: 4409, reason: 'the machine is not running' });
      await page.locator('.terminal-view .connection-state--open').waitFor({ timeout: 15_000 });
      assert.equal(sockets.length, 3);

      // 4403 is final until the learner asks: no retries, a cover with the reason and Try again.
      await sockets[2]!.close({ code: 4403, reason: 'Your access to this instance was revoked.' });
      const cover = page.getByRole('alert').filter({ hasText: 'You no longer have access to this terminal' });
      await cover.getByText('Your access to this instance was revoked.').waitFor();
      assert.equal(await state.innerText(), 'Disconnected');
      await page.waitForTimeout(2000);
      assert.equal(sockets.length, 3, 'no retry after 4403');
      await reviewScreenshot(page, 'workspace-access-revoked');
      await cover.getByRole('button', { name: 'Try again' }).click();
      await page.locator('.terminal-view .connection-state--open').waitFor();
      assert.equal(sockets.length, 4);
    });
  });

  test('the desktop lab: the desktop tab shows the machine screen in noVNC, with its toolbar and clipboard', async (t) => {
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut], viewport: { width: 1440, height: 900 } }, async (page) => {
      await startFromLabPage(page, 'desktop', 'A Linux desktop');
      const tabs = page.getByRole('tablist', { name: 'Ways into desktop' });
      await tabs.getByRole('tab', { name: 'Desktop' }).waitFor();
      assert.deepEqual(await tabs.getByRole('tab').allInnerTexts(), ['Terminal', 'Desktop']);
      await page.locator('.workspace-header').getByText('Running', { exact: true }).waitFor({ timeout: startTimeout });

      // Arrow keys move between the tabs and show their panels.
      await tabs.getByRole('tab', { name: 'Terminal' }).focus();
      await page.keyboard.press('ArrowRight');
      // The first time, the desktop viewer's code loads before the tab shows as selected.
      await tabs.locator('[role="tab"][aria-selected="true"]', { hasText: 'Desktop' }).waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Desktop', 'arrow keys keep the focus on the tabs');
      const desktop = page.getByRole('tabpanel', { name: 'Desktop' });
      await desktop.waitFor();
      await desktop.locator('.connection-state--open').waitFor({ timeout: 60_000 });
      const canvas = desktop.locator('.desktop-view__screen canvas');
      await canvas.waitFor();

      // Real pixels: the screen is not one colour.
      assert.ok((await screenColours(page, canvas, 3)) >= 3, 'the remote screen shows more than one colour');
      const box = await canvas.boundingBox();
      const frame = await desktop.locator('.desktop-view__screen').boundingBox();
      assert.ok(box && frame && box.width <= frame.width + 1 && box.height <= frame.height + 1, 'the screen is scaled to fit its pane');

      assert.equal(await desktop.getByRole('button', { name: 'Ctrl+Alt+Del' }).isEnabled(), true);
      await desktop.getByRole('button', { name: 'Full screen' }).waitFor();
      await desktop.getByRole('button', { name: 'Clipboard' }).click();
      const clipboard = desktop.getByRole('region', { name: 'Clipboard of the machine' });
      await clipboard.getByRole('textbox', { name: 'Clipboard text' }).fill('hello from the browser');
      await clipboard.getByRole('button', { name: 'Send to the machine' }).click();
      await clipboard.getByText('Sent. Paste it on the machine.').waitFor();
      await reviewScreenshot(page, 'workspace-desktop-clipboard');
      await clipboard.getByRole('button', { name: 'Close the clipboard' }).click();
      await reviewScreenshot(page, 'workspace-desktop');
      await desktop.getByRole('button', { name: 'Desktop keys' }).click();
      await page.getByRole('dialog', { name: 'Desktop keys' }).getByText('Alt+Shift+T').waitFor();
      await reviewScreenshot(page, 'workspace-desktop-keys');
      await page.keyboard.press('Escape');

      // The terminal tab of the same machine is still there, connected, after coming back.
      await tabs.getByRole('tab', { name: 'Terminal' }).click();
      await page.getByRole('tabpanel', { name: 'Terminal' }).locator('.connection-state--open').waitFor({ timeout: 30_000 });
      await desktop.waitFor({ state: 'hidden' });
      // Role queries skip hidden panels; this one is found by its id.
      assert.equal(await page.locator(`[id="${await tabs.getByRole('tab', { name: 'Desktop' }).getAttribute('aria-controls')}"] canvas`).count(), 1, 'the hidden desktop stays connected');
    });
  });

  test('the mixed lab: the VM\'s serial terminal and screen, a container\'s terminal and desktop, and the machines reach each other by name', async (t) => {
    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut], viewport: { width: 1440, height: 900 } }, async (page) => {
      await startFromLabPage(page, 'network-basics', 'Network basics');
      await page.locator('.workspace-header').getByText('Running', { exact: true }).waitFor({ timeout: startTimeout });
      const machines = page.getByRole('region', { name: 'Machines' });
      const open = async (machine: string, view: 'Terminal' | 'Desktop') => {
        await machines.getByRole('button', { name: machine, exact: true }).click();
        await page.getByRole('tablist', { name: `Ways into ${machine}` }).getByRole('tab', { name: view }).click();
        const panel = page.getByRole('tabpanel', { name: view });
        await panel.locator('.connection-state--open').waitFor({ timeout: 60_000 });
        return panel;
      };

      // The VM: its serial console is the terminal.
      const vmTerminal = (await open('tiny', 'Terminal')).locator('.xterm-rows');
      await page.keyboard.press('Enter');
      await waitForScreen(vmTerminal, (text) => /#\s*$/m.test(text), 'the VM prompt', 60_000);
      await page.keyboard.type('echo vm-$((6*7)) $(hostname)');
      await page.keyboard.press('Enter');
      await waitForScreen(vmTerminal, (text) => text.includes('vm-42 tiny'), 'vm-42 from the VM');
      await page.keyboard.type('ping -c 1 -W 3 desktop');
      await page.keyboard.press('Enter');
      await waitForScreen(vmTerminal, (text) => /1 packets received|1 received/.test(text), 'the VM pinging the desktop container by name');
      await reviewScreenshot(page, 'workspace-vm-terminal');

      // The VM's screen: its VGA console through QEMU's VNC server.
      const vmScreen = (await open('tiny', 'Desktop')).locator('.desktop-view__screen canvas');
      assert.ok((await screenColours(page, vmScreen, 2)) >= 2, "the VM's screen shows real pixels");
      await reviewScreenshot(page, 'workspace-vm-screen');

      // A container of the same lab reaches the VM by name.
      const shellTerminal = (await open('shell', 'Terminal')).locator('.xterm-rows');
      await waitForScreen(shellTerminal, (text) => /[#$]\s*$/m.test(text), 'the shell prompt');
      await page.keyboard.type('ping -c 1 -W 3 tiny');
      await page.keyboard.press('Enter');
      await waitForScreen(shellTerminal, (text) => /1 received/.test(text), 'the container pinging the VM by name');

      // The desktop container's screen.
      const desktopScreen = (await open('desktop', 'Desktop')).locator('.desktop-view__screen canvas');
      assert.ok((await screenColours(page, desktopScreen, 3)) >= 3, "the desktop container's screen shows real pixels");

      // A reload shows the VM's terminal as it was, once.
      await page.goto(`${new URL(page.url()).pathname}?machine=tiny&view=terminal`);
      const reloaded = page.getByRole('tabpanel', { name: 'Terminal' }).locator('.xterm-rows');
      await waitForScreen(reloaded, (text) => text.includes('vm-42 tiny'), 'the VM screen after a reload');
      await page.waitForTimeout(1500);
      assert.equal(count(await reloaded.textContent(), 'vm-42 tiny'), 1, 'the VM terminal is shown once after a reload');
    });
  });

  test('instructions are sanitized: nothing from a lab file runs in the page', async (t) => {
    const cookie = await apiLogin(server, 'lena', 'lena-password');
    const id = await startInstance(server, cookie, 'unsafe-notes');
    started.push(id);

    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut], viewport: { width: 1024, height: 768 } }, async (page) => {
      await page.goto(`/instances/${encodeURIComponent(id)}`);
      await logIn(page, 'lena');
      await page.waitForURL(`/instances/${encodeURIComponent(id)}`);
      const markdown = page.getByRole('complementary', { name: 'Instructions' }).locator('.markdown');
      await markdown.locator('code', { hasText: 'uname -a' }).waitFor();
      // HTML in a lab's Markdown is shown as the text it is, never parsed.
      await markdown.getByText(`<script>window.__labhubInjected = 'script'</script>`).waitFor();
      await markdown.getByText(`<img src="data:," onerror="window.__labhubInjected = 'onerror'" alt="a picture">`).waitFor();
      await markdown.getByText(`<a href="#top" onclick="window.__labhubInjected='onclick'">`, { exact: false }).waitFor();
      assert.equal(await markdown.getByRole('img', { name: 'the logo' }).getAttribute('src'), 'data:,', 'Markdown images stay');
      await page.waitForTimeout(1000);
      assert.equal(await page.evaluate(() => (window as unknown as { __labhubInjected?: string }).__labhubInjected), undefined, 'no script from the lab ran');
      assert.equal(await markdown.locator('script, style, iframe, [onerror], [onclick], [style]').count(), 0);
      assert.equal(await markdown.getByRole('link', { name: 'a trap' }).count(), 0, 'a javascript: link is no link');
      const manual = markdown.getByRole('link', { name: 'the manual' });
      assert.equal(await manual.getAttribute('href'), 'https://example.org/manual');
      assert.equal(await manual.getAttribute('target'), '_blank');
      assert.equal(await manual.getAttribute('rel'), 'noopener noreferrer');
      await markdown.getByText('another').click();
      await page.waitForTimeout(300);
      assert.equal(await page.evaluate(() => (window as unknown as { __labhubInjected?: string }).__labhubInjected), undefined, 'clicking runs nothing either');
      assert.equal(await page.locator('body').isVisible(), true, 'no style from the lab applies');
      await reviewScreenshot(page, 'workspace-unsafe-instructions');
    });
  });

  test('limits: the time limit warns in its last ten minutes and Extend pushes it back; inactivity warns too; app links open in a new tab', async (t) => {
    const cookie = await apiLogin(server, 'lena', 'lena-password');
    const id = await startInstance(server, cookie, 'short-session');
    started.push(id);

    await withPage(t, browser, { baseURL: server.url, expectedHttpErrors: [loggedOut], colorScheme: 'dark' }, async (page) => {
      await page.goto(`/instances/${encodeURIComponent(id)}`);
      await logIn(page, 'lena');
      await page.waitForURL(`/instances/${encodeURIComponent(id)}`);
      const expiry = page.getByRole('region', { name: 'Time limit' });
      // Each warning is read out once (a status) and shown with a ticking countdown.
      await expiry.getByRole('status').filter({ hasText: 'This instance stops in less than 10 minutes, when its time is up.' }).waitFor({ state: 'attached' });
      await expiry.getByText(/^Time is almost up: this instance stops in \d:\d\d\./).waitFor();
      const idle = page.getByRole('region', { name: 'Inactivity' });
      await idle.getByRole('status').filter({ hasText: 'this instance stops in less than 5 minutes unless you do' }).waitFor({ state: 'attached' });
      await idle.getByText(/stops in [0-4]:\d\d\. Type in a terminal or use a desktop to keep it running\.$/).waitFor();
      assert.match(await page.locator('.time-left__value').innerText(), /^[0-7]:\d\d$/);
      assert.equal(await page.locator('.time-left--warning').count(), 1, 'the time left is marked as short');

      const app = page.getByRole('list', { name: 'Apps on web' }).getByRole('link', { name: /App on port 8080/ });
      assert.equal(await app.getAttribute('href'), `/apps/${encodeURIComponent(id)}/web/8080/`);
      assert.equal(await app.getAttribute('target'), '_blank');
      await page.getByText('web has no terminal or desktop').waitFor();
      await reviewScreenshot(page, 'workspace-limits-dark');

      await expiry.getByRole('button', { name: 'Extend' }).click();
      await page.getByRole('status').getByText(/^Extended: the instance now stops at /).waitFor();
      await expiry.waitFor({ state: 'detached' });
      assert.match(await page.locator('.time-left__value').innerText(), /^1[01]:\d\d$/, 'half the time limit more');
      assert.equal(await page.locator('.time-left--warning').count(), 0);
    });
  });
});

/** How many colours a noVNC canvas shows (sampled), waiting up to a minute for at least `wanted`. */
async function screenColours(page: Page, canvas: ReturnType<Page['locator']>, wanted: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  let colours = 0;
  while (Date.now() < deadline && colours < wanted) {
    colours = await canvas.evaluate((element) => {
      const { width, height } = element as HTMLCanvasElement;
      if (width === 0 || height === 0) return 0;
      const pixels = (element as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, width, height).data;
      const seen = new Set<number>();
      for (let i = 0; i < pixels.length && seen.size < 16; i += 4 * 31) seen.add((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!);
      return seen.size;
    });
    if (colours < wanted) await page.waitForTimeout(500);
  }
  return colours;
}

function count(text: string | null, needle: string): number {
  return (text ?? '').split(needle).length - 1;
}


/** Starts a lab through the API and waits until it runs. */
async function startInstance(server: E2eServer, cookie: string, lab: string): Promise<string> {
  const created = await api(server, '/api/instances', { method: 'POST', cookie, body: { lab } });
  const body = await created.text();
  assert.equal(created.status, 201, body);
  const id = (JSON.parse(body) as { instance: { id: string } }).instance.id;
  const deadline = Date.now() + startTimeout;
  for (;;) {
    const { instance } = (await (await api(server, `/api/instances/${encodeURIComponent(id)}`, { cookie })).json()) as { instance: { status: string; message: string | null } };
    if (instance.status === 'running') return id;
    if (instance.status === 'failed' || Date.now() > deadline) assert.fail(`${lab}: ${instance.status} ${instance.message}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
