import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/** Failure screenshots (and, with LABHUB_SCREENSHOTS=1, review screenshots) go here. */
export const resultsDir = fileURLToPath(new URL('../../test-results/', import.meta.url));

/** Debian's Chromium; `npx playwright install` cannot download a browser on these machines. */
const executablePath = process.env.LABHUB_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  const shim = noNetlinkShim();
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ...(shim && { env: { ...process.env, LD_PRELOAD: shim } }),
  });
}

let shimPath: string | null | undefined;

/**
 * Every instance gets a Podman network, so interfaces come and go while browser tests run, and
 * Chromium fails requests in flight when they do (see no-netlink.c). The shim that stops it is
 * built once per version of its source with the C compiler; without a compiler the browser runs
 * as it is (and the tests may flake).
 */
function noNetlinkShim(): string | undefined {
  if (shimPath !== undefined) return shimPath ?? undefined;
  const source = fileURLToPath(new URL('./no-netlink.c', import.meta.url));
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const target = path.join(tmpdir(), `labhub-no-netlink-${hash}.so`);
  if (!existsSync(target)) {
    // Built beside the target and renamed into place: test files in parallel never load half a file.
    const partial = `${target}.${process.pid}`;
    const built = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', partial, source, '-ldl'], { encoding: 'utf8' });
    if (built.status !== 0) {
      console.warn(`browser tests: no netlink shim (${(built.stderr || String(built.error)).trim()}); network changes may fail requests`);
      shimPath = null;
      return undefined;
    }
    renameSync(partial, target);
  }
  shimPath = target;
  return target;
}

/** An HTTP error the test causes on purpose (Chromium logs every 4xx as a console error). */
export interface ExpectedHttpError {
  path: string;
  status: number;
}

export interface PageOptions {
  baseURL: string;
  expectedHttpErrors?: ExpectedHttpError[];
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/**
 * Runs `body` with a page in a fresh browser context (no cookies from other tests). Afterwards
 * the page must have logged no console error, thrown no uncaught exception and caused no
 * Content-Security-Policy violation, apart from `expectedHttpErrors`. On failure a full-page
 * screenshot is saved under test-results/.
 */
export async function withPage(t: TestContext, browser: Browser, options: PageOptions, body: (page: Page) => Promise<void>): Promise<void> {
  const context = await browser.newContext({
    baseURL: options.baseURL,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(10_000);
  const problems: string[] = [];
  // A binding and an init script come from the browser's debugging protocol, so the page's CSP does not apply to them.
  await context.exposeBinding('__labhubReportCspViolation', (_source, report: string) => void problems.push(`CSP violation: ${report}`));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __labhubReportCspViolation(report: string): void }).__labhubReportCspViolation;
      report(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline code'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' && !isExpected(message, options.expectedHttpErrors ?? [])) {
      problems.push(`console error: ${message.text()} (${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.message}`));

  try {
    await body(page);
    assert.deepEqual(problems, [], 'the page logged errors or violated its Content-Security-Policy');
  } catch (error) {
    const file = await screenshot(page, `failed-${t.name}`).catch(() => undefined);
    if (file) t.diagnostic(`screenshot of the failure: ${file}`);
    throw error;
  } finally {
    await context.close();
  }
}

/** Saves a full-page screenshot as test-results/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/** Screenshots for a person to look at (LABHUB_SCREENSHOTS=1); tests never compare them. */
export async function reviewScreenshot(page: Page, name: string): Promise<void> {
  if (process.env.LABHUB_SCREENSHOTS) await screenshot(page, name);
}

function isExpected(message: ConsoleMessage, expected: ExpectedHttpError[]): boolean {
  const failed = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(message.text());
  if (!failed) return false;
  const { pathname } = new URL(message.location().url);
  return expected.some((error) => error.path === pathname && error.status === Number(failed[1]));
}

/** Waits until the terminal's text satisfies `done`, and returns it. */
export async function waitForScreen(screen: ReturnType<Page['locator']>, done: (text: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = (await screen.evaluate((rows) => Array.from(rows.children, (row) => row.textContent ?? '').join('\n')).catch(() => '')).replace(/\u00a0/g, ' ');
    if (done(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`the terminal did not show ${what}; it shows:\n${text}`);
}
