// Logging in through the real form in a real browser: the messages for a wrong password, a wrong
// authenticator code and too many attempts, and the dashboard once the password is right.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import * as OTPAuth from 'otpauth';
import { startTestDashboard, TEST_PASSWORD, type TestDashboard } from '../helpers/dashboard.js';
import { buildWebClient, launchChromium, logIn, openPage, waitLive } from './helpers/browser.js';

const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

let plain: TestDashboard;
let withTotp: TestDashboard;
let browser: Browser;

before(async () => {
  buildWebClient();
  [plain, withTotp, browser] = await Promise.all([
    startTestDashboard(),
    startTestDashboard({ NIXFLEET_TOTP_SECRET: TOTP_SECRET, NIXFLEET_RATE_LIMIT: '2', NIXFLEET_RATE_WINDOW: '1m' }),
    launchChromium(),
  ]);
});
after(async () => {
  await browser?.close();
  await Promise.all([plain?.close(), withTotp?.close()]);
});

test('a wrong password says so and stays on the login form', async () => {
  const { page, errors, close } = await openPage(browser);
  await page.goto(`${plain.url}/login`);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(await page.getByLabel('Authenticator code').count(), 0, 'no TOTP field when TOTP is off');
  const cookies = await page.context().cookies();
  assert.equal(cookies.length, 0);
  assert.deepEqual(errors, []);
  await close();
});

test('the right password opens the live dashboard, styled by our own stylesheet', async () => {
  const { page, errors, close } = await openPage(browser);
  await logIn(page, plain.url);
  await page.getByRole('heading', { name: 'Hosts' }).waitFor();
  assert.equal(await page.locator('.connection').getAttribute('data-state'), 'live');
  assert.equal(await page.getByRole('status').filter({ hasText: 'online' }).textContent(), '0 of 0 online');
  // The stylesheet applied: the header is sticky (an unstyled page would be `static`).
  assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('header.top')).position`), 'sticky');
  assert.deepEqual(errors, []);
  await close();
});

test('with TOTP on: the code field, a wrong code, then too many attempts', async () => {
  const { page, close } = await openPage(browser);
  await page.goto(`${withTotp.url}/login`);
  await page.getByLabel('Password').fill('wrong');
  await page.getByLabel('Authenticator code').fill('000000');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor();

  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByLabel('Authenticator code').fill(wrongCode());
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong or already used authenticator code.' }).waitFor();

  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByLabel('Authenticator code').fill(currentCode());
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: /Too many attempts\. Try again in \d+ s\./ }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  await close();
});

function totp(): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(TOTP_SECRET) });
}

function currentCode(): string {
  return totp().generate();
}

/** A code that is valid for no time step near now. */
function wrongCode(): string {
  const valid = new Set([-1, 0, 1].map((step) => totp().generate({ timestamp: Date.now() + step * 30_000 })));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

test('logging out in one tab sends the other tabs of the session to the login form', async () => {
  const first = await openPage(browser);
  await logIn(first.page, plain.url);
  const second = await first.page.context().newPage();
  await second.goto(`${plain.url}/`);
  await waitLive(second);
  await first.page.getByRole('button', { name: 'Log out' }).click();
  await first.page.waitForURL(`${plain.url}/login`);
  // The dashboard closes the session's other sockets with 4003; that page leaves by itself.
  await second.waitForURL(`${plain.url}/login`);
  await first.close();
});
