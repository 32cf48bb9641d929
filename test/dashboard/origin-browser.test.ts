// What a real browser sends, against the origin check: Chromium's own login form, the dashboard
// page's own requests and its logout form pass; a form on a sibling subdomain, which SameSite=Lax does not stop (the
// cookie rides along to a same-site POST), is refused with bad_origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Request } from 'playwright-core';
import { startTestDashboard, TEST_PASSWORD, type TestDashboard } from '../helpers/dashboard.js';
import { CHROMIUM_PATH } from '../web/helpers/browser.js';

/** Both names resolve to loopback in this Chromium only; `.test` is no public suffix, so they are one site. */
const DASHBOARD_HOST = 'fleet.example.test';
const SIBLING_HOST = 'evil.example.test';
const WAIT_MS = 15_000;

let t: TestDashboard;
let sibling: http.Server;
let browser: Browser;
let dashboardUrl: string;
let siblingUrl: string;

/** A page on the sibling site that posts a form to the dashboard as soon as it loads. */
function attackPage(action: string): string {
  return `<!doctype html><form method="post" action="${action}"><input name="x" value="1"></form><script>document.forms[0].submit()</script>`;
}

before(async () => {
  t = await startTestDashboard();
  dashboardUrl = `http://${DASHBOARD_HOST}:${t.dashboard.port}`;
  sibling = http.createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(attackPage(`${dashboardUrl}${new URL(request.url ?? '/', 'http://x').searchParams.get('post') ?? '/'}`));
  });
  await new Promise<void>((resolve) => sibling.listen(0, '127.0.0.1', resolve));
  siblingUrl = `http://${SIBLING_HOST}:${(sibling.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', `--host-resolver-rules=MAP ${DASHBOARD_HOST} 127.0.0.1, MAP ${SIBLING_HOST} 127.0.0.1`],
  });
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => sibling?.close(resolve));
  await t?.close();
});

async function headersOf(request: Request): Promise<Record<string, string>> {
  return request.allHeaders();
}

test('Chromium logs in through the form, acts from the dashboard page, is refused from a sibling site, and logs out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  try {
    await page.goto(`${dashboardUrl}/login`);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    const loginRequest = page.waitForRequest((r) => r.method() === 'POST' && r.url() === `${dashboardUrl}/login`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${dashboardUrl}/`);
    const sent = await headersOf(await loginRequest);
    // Not `null`, as under Referrer-Policy: no-referrer; and over plain http to a name that is not
    // loopback Chromium sends no Sec-Fetch-* at all: Origin is what decides.
    assert.equal(sent.origin, dashboardUrl, 'the login form sends our own Origin');

    // A state change the way the web client makes it: fetch from our own page, with the CSRF token.
    const status = await page.evaluate(async () => {
      const { csrf_token } = (await (await fetch('/api/session')).json()) as { csrf_token: string };
      const answer = await fetch('/api/hosts', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token },
        body: JSON.stringify({ hostname: 'made-in-chromium' }),
      });
      return answer.status;
    });
    assert.equal(status, 201);

    const target = `${dashboardUrl}/api/hosts/made-in-chromium/token`;
    const attack = page.waitForResponse((r) => r.url() === target);
    await page.goto(`${siblingUrl}/?post=${encodeURIComponent('/api/hosts/made-in-chromium/token')}`);
    const answer = await attack;
    const carried = await headersOf(answer.request());
    assert.match(carried.cookie ?? '', /nixfleet_session=/, 'SameSite=Lax let the cookie ride along to the same-site POST');
    assert.equal(carried.origin, siblingUrl);
    assert.equal(answer.status(), 403);
    assert.equal(((await answer.json()) as { error: string }).error, 'bad_origin');

    // The page's own logout form, a state change with the session posted as a form, goes through.
    await page.goto(`${dashboardUrl}/`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${dashboardUrl}/login`);
    assert.equal((await context.cookies()).some((c) => c.name === 'nixfleet_session' && c.value !== ''), false, 'logged out');
  } finally {
    await context.close();
  }
});
