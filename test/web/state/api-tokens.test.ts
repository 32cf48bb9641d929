// The API tokens panel without a browser: the page's rules are the protocol's (scopes, names), the list
// is read once per opening and shown newest first, a secret reaches the screen once and leaves it for
// good, a revocation needs the confirmation and takes the token (and its secret) away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { API_SCOPES, CreateApiTokenBody, type ApiToken } from '../../../src/protocol/http.js';
import type { ApiTokensOutcome, CreatedApiTokenOutcome, Refusal, RevokedApiTokenOutcome } from '../../../src/web/net/api.js';
import { API_TOKEN_SCOPES, newestFirst, TOKEN_NAME_MAX_CHARS, tokenNameProblem } from '../../../src/web/state/api-token-rules.js';
import { ApiTokenAdmin, type ApiTokenApi, type TokensPanel } from '../../../src/web/state/api-tokens.js';

function apiToken(id: string, name: string, createdAt: string, scope: ApiToken['scope'] = 'read'): ApiToken {
  return { id, name, scope, created_at: createdAt, created_by: 'admin at 127.0.0.1', last_used_at: null };
}

const ci = apiToken('t-1', 'ci', '2026-11-26T10:00:00.000Z', 'operate');
const backup = apiToken('t-2', 'backup', '2026-11-26T11:00:00.000Z');
const deploy = apiToken('t-3', 'deploy', '2026-11-26T12:00:00.000Z', 'admin');

type Outcome = ApiTokensOutcome | CreatedApiTokenOutcome | RevokedApiTokenOutcome;

/** An API whose answers the test gives, one request at a time, and which records what was asked. */
function fakeApi() {
  const calls: string[] = [];
  const waiting: { resolve(outcome: Outcome): void; reject(error: Error): void }[] = [];
  const ask = <T extends Outcome>(call: string) => {
    calls.push(call);
    return new Promise<T>((resolve, reject) => waiting.push({ resolve: resolve as (outcome: Outcome) => void, reject }));
  };
  const api: ApiTokenApi = {
    listApiTokens: () => ask('list'),
    createApiToken: (body) => ask(`create ${body.name} ${body.scope}`),
    revokeApiToken: (tokenId) => ask(`revoke ${tokenId}`),
  };
  /** Answers the oldest request still waiting; the admin's promises run on. */
  const answer = async (outcome: Outcome | Error) => {
    const next = waiting.shift();
    assert.ok(next, 'a request is waiting for its answer');
    if (outcome instanceof Error) next.reject(outcome);
    else next.resolve(outcome);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { api, calls, answer };
}

function setup() {
  const fake = fakeApi();
  const notices: string[] = [];
  const admin = new ApiTokenAdmin(fake.api, { add: (level, text) => notices.push(`${level}: ${text}`) });
  const panel = (): TokensPanel => {
    const value = admin.panel.value;
    assert.ok(value, 'the panel is open');
    return value;
  };
  const shownTokens = () => {
    const { list } = panel();
    return list.kind === 'loaded' ? list.tokens.map((token) => token.name) : list.kind;
  };
  return { ...fake, admin, notices, panel, shownTokens };
}

const refused = (status: number, error: string, message: string): Refusal => ({ ok: false, status, error, message });

test('the scopes are the protocol’s, narrowest first', () => {
  assert.deepEqual(API_TOKEN_SCOPES, API_SCOPES);
});

test('a name the form accepts is one the dashboard accepts, and one it refuses the dashboard refuses too', () => {
  const names = ['ci', 'backup script', 'ünïcødé ✓', 'x'.repeat(TOKEN_NAME_MAX_CHARS), '', 'x'.repeat(TOKEN_NAME_MAX_CHARS + 1), 'tab\there', 'line\nbreak', 'del\u007f'];
  for (const name of names) {
    const dashboardTakes = Value.Check(CreateApiTokenBody, { name, scope: 'read' });
    assert.equal(tokenNameProblem(name, []) === null, dashboardTakes, `"${JSON.stringify(name)}": the dashboard ${dashboardTakes ? 'takes' : 'refuses'} it`);
  }
});

test('a name in use is refused by the form, since the list and the event log tell tokens apart by name', () => {
  assert.match(tokenNameProblem('ci', [ci]) ?? '', /A token named “ci” exists already/);
  assert.equal(tokenNameProblem('ci-2', [ci]), null);
});

test('opening the panel reads the list once; it is shown newest first', async () => {
  const { admin, answer, calls, shownTokens } = setup();
  admin.open();
  admin.open();
  assert.equal(shownTokens(), 'loading');
  await answer({ ok: true, tokens: [ci, deploy, backup] });
  assert.deepEqual(shownTokens(), ['deploy', 'backup', 'ci']);
  assert.deepEqual(calls, ['list']);
  assert.deepEqual(newestFirst([ci, deploy, backup]).map((t) => t.id), ['t-3', 't-2', 't-1']);
});

test('a list that could not be read says why, and is read again on request; an answer for an earlier opening is dropped', async () => {
  const { admin, answer, calls, panel, shownTokens } = setup();
  admin.open();
  await answer(refused(500, 'internal', 'the store failed'));
  assert.deepEqual(panel().list, { kind: 'failed', message: 'the store failed' });
  admin.reload();
  admin.close();
  admin.open();
  await answer({ ok: true, tokens: [ci] });
  assert.equal(shownTokens(), 'loading', 'the answer to the read before the panel closed is not this opening’s');
  await answer({ ok: true, tokens: [ci, backup] });
  assert.deepEqual(shownTokens(), ['backup', 'ci']);
  assert.deepEqual(calls, ['list', 'list', 'list']);
});

test('a new token is listed and its secret shown until the admin has it; closing the panel forgets it', async () => {
  const { admin, answer, calls, panel, shownTokens } = setup();
  await admin.create('too-early', 'read');
  admin.open();
  await admin.create('too-early', 'read');
  assert.deepEqual(calls, ['list'], 'nothing is made before the list is read (the form checks names against it)');
  await answer({ ok: true, tokens: [ci] });

  const made = admin.create('deploy', 'admin');
  await admin.create('deploy', 'admin');
  assert.equal(panel().creating, true);
  await answer({ ok: true, token: deploy, secret: 'nfx_secret-1' });
  await made;
  assert.deepEqual(panel().created, { token: deploy, secret: 'nfx_secret-1' });
  assert.deepEqual(shownTokens(), ['deploy', 'ci']);
  assert.deepEqual(calls, ['list', 'create deploy admin'], 'a second submit while one runs sends nothing');

  admin.dismissSecret();
  assert.equal(panel().created, null, 'dismissed, the secret is gone from the page');
  assert.deepEqual(shownTokens(), ['deploy', 'ci'], 'the token stays listed');

  const again = admin.create('backup', 'read');
  await answer({ ok: true, token: backup, secret: 'nfx_secret-2' });
  await again;
  admin.close();
  assert.equal(admin.panel.value, null, 'closing forgets the panel, the secret with it');
});

test('a secret reaches the screen even if the panel was closed while the token was made', async () => {
  const { admin, answer, calls, panel, shownTokens } = setup();
  admin.open();
  await answer({ ok: true, tokens: [] });
  const made = admin.create('ci', 'operate');
  admin.close();
  await answer({ ok: true, token: ci, secret: 'nfx_secret-3' });
  await made;
  assert.deepEqual(panel().created, { token: ci, secret: 'nfx_secret-3' });
  assert.deepEqual(calls, ['list', 'create ci operate', 'list'], 'the panel opens again and reads the list');
  await answer({ ok: true, tokens: [] });
  assert.deepEqual(shownTokens(), ['ci'], 'the new token is listed even if the read was answered before it was made');
});

test('a refusal is said in the form; a request that throws is one too', async () => {
  const { admin, answer, panel } = setup();
  admin.open();
  await answer({ ok: true, tokens: [] });
  const first = admin.create('ci', 'read');
  await answer(refused(400, 'bad_request', 'body/name must match pattern'));
  await first;
  assert.deepEqual(panel().refusal, { error: 'bad_request', message: 'body/name must match pattern' });
  assert.equal(panel().creating, false);
  const second = admin.create('ci', 'read');
  await answer(new Error('offline'));
  await second;
  assert.equal(panel().refusal?.error, 'network');
});

test('revoking asks first: keeping it sends nothing; confirmed, the token leaves the list, and its secret if it was just made', async () => {
  const { admin, answer, calls, panel, shownTokens } = setup();
  admin.open();
  await answer({ ok: true, tokens: [ci] });
  const made = admin.create('deploy', 'admin');
  await answer({ ok: true, token: deploy, secret: 'nfx_secret-4' });
  await made;

  admin.askRevoke('t-1');
  assert.equal(panel().revoking?.token.name, 'ci');
  admin.cancelRevoke();
  assert.equal(panel().revoking, null);
  assert.deepEqual(calls, ['list', 'create deploy admin']);

  admin.askRevoke('t-3');
  const revoked = admin.revoke();
  await admin.revoke();
  assert.equal(panel().revoking?.sending, true);
  await answer({ ok: true, token: deploy });
  await revoked;
  assert.deepEqual(calls, ['list', 'create deploy admin', 'revoke t-3'], 'one request, for the token confirmed');
  assert.deepEqual(shownTokens(), ['ci']);
  assert.equal(panel().revoking, null);
  assert.equal(panel().created, null, 'a revoked token’s secret is of no use: it leaves the page');
  assert.equal(panel().said, '“deploy” was revoked: it no longer works.');
});

test('a token revoked elsewhere meanwhile (404) leaves the list all the same; another refusal stays in the confirmation', async () => {
  const { admin, answer, panel, shownTokens } = setup();
  admin.open();
  await answer({ ok: true, tokens: [ci, backup] });
  admin.askRevoke('t-1');
  const first = admin.revoke();
  await answer(refused(404, 'unknown_token', 'no API token "t-1"'));
  await first;
  assert.deepEqual(shownTokens(), ['backup']);
  assert.equal(panel().said, '“ci” had been revoked already.');

  admin.askRevoke('t-2');
  const second = admin.revoke();
  await answer(refused(403, 'forbidden', 'this needs the admin scope'));
  await second;
  assert.deepEqual(panel().revoking, { token: backup, sending: false, refusal: { error: 'forbidden', message: 'this needs the admin scope' } });
  assert.deepEqual(shownTokens(), ['backup']);
});

test('a revocation answered after the panel closed is a notice', async () => {
  const { admin, answer, notices } = setup();
  admin.open();
  await answer({ ok: true, tokens: [ci] });
  admin.askRevoke('t-1');
  const sent = admin.revoke();
  admin.close();
  await answer({ ok: true, token: ci });
  await sent;
  assert.deepEqual(notices, ['info: API token “ci” was revoked: it no longer works.']);
});
