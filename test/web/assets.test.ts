// The web client is served by the dashboard itself: hashed, cacheable files, compressed when the
// browser accepts it, and pages that load them without any inline script or style (the CSP forbids it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { login, startTestDashboard, type Session, type TestDashboard } from '../helpers/dashboard.js';
import { buildWebClient } from './helpers/browser.js';

let t: TestDashboard;
let session: Session;

before(async () => {
  buildWebClient();
  t = await startTestDashboard();
  session = await login(t.url);
});
after(() => t.close());

async function appPage(): Promise<string> {
  const response = await fetch(`${t.url}/`, { headers: { cookie: session.cookie } });
  assert.equal(response.status, 200);
  return response.text();
}

test('the app page loads one hashed script and one hashed stylesheet from /assets', async () => {
  const page = await appPage();
  assert.match(page, /<script type="module" src="\/assets\/app-[A-Z0-9]{8}\.js"><\/script>/);
  assert.match(page, /<link rel="stylesheet" href="\/assets\/style-[A-Z0-9]{8}\.css">/);
  assert.match(page, new RegExp(`<meta name="csrf-token" content="${session.csrf}">`));
});

test('pages carry no inline script and no style attribute, so the CSP needs no unsafe-inline', async () => {
  const pages = [await appPage(), await (await fetch(`${t.url}/login`)).text()];
  for (const page of pages) {
    assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'a <script> without src');
    assert.doesNotMatch(page, /\sstyle\s*=/i, 'a style attribute');
    assert.doesNotMatch(page, /\son[a-z]+\s*=/i, 'an inline event handler');
    assert.doesNotMatch(page, /https?:\/\/(?!127\.0\.0\.1)/, 'something loaded from elsewhere');
  }
  const response = await fetch(`${t.url}/login`);
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
});

test('hashed assets are cached for a year, served with their type, and brotli-compressed when accepted', async () => {
  const page = await appPage();
  const script = /src="(\/assets\/[^"]+)"/.exec(page)?.[1];
  const stylesheet = /href="(\/assets\/[^"]+\.css)"/.exec(page)?.[1];
  assert.ok(script && stylesheet);
  const js = await fetch(`${t.url}${script}`, { headers: { 'accept-encoding': 'identity' } });
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  assert.match(js.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
  assert.ok((await js.text()).length > 1000);
  const css = await fetch(`${t.url}${stylesheet}`);
  assert.match(css.headers.get('content-type') ?? '', /text\/css/);
  // fetch() decodes transparently; the raw header says what travelled.
  const compressed = await fetch(`${t.url}${script}`, { headers: { 'accept-encoding': 'br' } });
  assert.equal(compressed.headers.get('content-encoding'), 'br');
});

test('assets need no session (the login page uses the stylesheet) and unknown ones are 404', async () => {
  const page = await appPage();
  const stylesheet = /href="(\/assets\/[^"]+\.css)"/.exec(page)?.[1] ?? '';
  assert.equal((await fetch(`${t.url}${stylesheet}`)).status, 200);
  assert.equal((await fetch(`${t.url}/assets/app-NOTTHERE.js`)).status, 404);
  const traversal = await fetch(`${t.url}/assets/..%2f..%2fpackage.json`);
  assert.notEqual(traversal.status, 200);
  assert.doesNotMatch(await traversal.text(), /"name": "nixfleet"/);
});
