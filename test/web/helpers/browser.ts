// Real headless Chromium (Debian's package, driven by playwright-core) against a real dashboard.
// No browser is ever downloaded: the executable is the system one.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { TEST_PASSWORD } from '../../helpers/dashboard.js';
import { REPO_ROOT } from '../../helpers/repository.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const ROOT = REPO_ROOT;
export const ARTIFACTS_DIR = path.join(ROOT, 'test-artifacts');
const DOCS_SCREENSHOT_FILE = path.join(ROOT, 'docs', 'screenshot.png');
/**
 * Where the README's screenshot goes: written when missing or when NIXFLEET_UPDATE_SCREENSHOT=1, so
 * an ordinary test run does not rewrite a committed file whose clock texts differ every time.
 */
export const DOCS_SCREENSHOT: string | undefined =
  process.env.NIXFLEET_UPDATE_SCREENSHOT === '1' || !fs.existsSync(DOCS_SCREENSHOT_FILE) ? DOCS_SCREENSHOT_FILE : undefined;
/** Generous bound for UI reactions on a loaded CI machine; the point is "not frozen", not speed. */
export const UI_WAIT_MS = 15_000;

/**
 * Bundles src/web into dist/web with the production build script, so the tests load exactly what
 * `npm run build` ships. Files that run at once each build; the script writes atomically.
 */
export function buildWebClient(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'pipe' });
}

export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium package (apt-get install chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

const EXPECTED_HTTP_REFUSAL = /^Failed to load resource: the server responded with a status of 4(01|09)\b/;

export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions and console errors (a CSP violation is one), in the order they happened. */
  errors: string[];
  close(): Promise<void>;
}

/** A page in a fresh context (own cookies and sessionStorage) whose errors are collected. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_WAIT_MS);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A refused request (401, 409) is an answer the page handles; Chromium logs it all the same.
    if (message.type() === 'error' && !EXPECTED_HTTP_REFUSAL.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  return { page, errors, close: () => context.close() };
}

/** Fills the login form and waits until the dashboard page is live on its socket. */
export async function logIn(page: Page, url: string, password = TEST_PASSWORD): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${url}/`);
  await waitLive(page);
}

export async function waitLive(page: Page): Promise<void> {
  await page.locator('.connection[data-state="live"]').waitFor();
}

export function hostRow(page: Page, hostId: string) {
  return page.locator(`tr[data-host="${hostId}"]`);
}

/** Opens the host's Actions menu and chooses `item` in it. */
export async function chooseAction(page: Page, hostId: string, item: string): Promise<void> {
  await page.getByRole('button', { name: `Actions for ${hostId}` }).click();
  await page.getByRole('menuitem', { name: item, exact: true }).click();
}

/** Saves a screenshot of a page or of one element into test-artifacts/ (and a copy to `alsoTo`). */
export async function screenshot(target: Page | Locator, name: string, alsoTo?: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name);
  await target.screenshot({ path: file });
  if (alsoTo) {
    fs.mkdirSync(path.dirname(alsoTo), { recursive: true });
    fs.copyFileSync(file, alsoTo);
  }
}

/** Polls `check` until it returns true. For conditions the page cannot be asked to wait for. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = UI_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
