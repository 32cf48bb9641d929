// The desired state's HTTP routes on a real Fastify server and a real repository: GET /api/desired
// for a session, and the push webhook, believed by its signature alone, that makes the dashboard fetch
// at once. The session itself is stood in for by a header; the dashboard's own guard decides.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import Fastify from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { pino } from 'pino';
import type { App } from '../../../src/dashboard/http/context.js';
import { requireSession } from '../../../src/dashboard/http/guards.js';
import { DesiredTracker } from '../../../src/dashboard/desired/desired-tracker.js';
import { desiredRoutes } from '../../../src/dashboard/desired/routes.js';
import type { DesiredState } from '../../../src/protocol/model.js';
import { createFleetRepo, deferrals, type FleetRepo } from './git-fixture.js';

const SECRET = 'route-test-secret';
const NO_POLL_MS = 3_600_000;
/**
 * Polling is off (NO_POLL_MS), so only the webhook can bring the pushed commit. The issue asks for 2 s;
 * it takes a few hundred milliseconds here, but this machine is shared, so the test's bound is generous.
 */
const WEBHOOK_SEEN_WITHIN_MS = 15_000;

interface Rig {
  url: string;
  repo: FleetRepo;
  tracker: DesiredTracker;
}

async function startRig(t: TestContext, secret: string | undefined = SECRET): Promise<Rig> {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  repo.commit('first');
  const tracker = new DesiredTracker({ repoUrl: repo.originUrl, branch: 'main', pollMs: NO_POLL_MS, sshKey: undefined, versionUrl: undefined, dataDir: repo.dataDir });
  defer(() => tracker.stop());
  await tracker.refresh('test');

  const app: App = Fastify({ loggerInstance: pino({ level: 'silent' }) }).withTypeProvider<TypeBoxTypeProvider>();
  // As in the dashboard: forms are parsed everywhere else, and must not be in the webhook's scope.
  await app.register(fastifyFormbody);
  app.decorateRequest('session', null);
  app.addHook('onRequest', async (request) => {
    request.session = request.headers['x-test-session'] === 'yes' ? { id_hash: 'h', csrf_token: 'c', created_at: 0, expires_at: Date.now() + 60_000, address: '127.0.0.1' } : null;
  });
  desiredRoutes(app, tracker, secret, requireSession);
  await app.listen({ host: '127.0.0.1', port: 0 });
  defer(() => app.close());
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return { url: `http://127.0.0.1:${address.port}`, repo, tracker };
}

function githubPush(body: string, secret = SECRET, contentType = 'application/json'): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
  };
}

async function until(check: () => boolean, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('GET /api/desired answers the desired state to a session, 401 without one', async (t) => {
  const rig = await startRig(t);
  const answer = await fetch(`${rig.url}/api/desired`, { headers: { 'x-test-session': 'yes' } });
  assert.equal(answer.status, 200);
  const state = (await answer.json()) as DesiredState;
  assert.deepEqual(state, rig.tracker.current());

  const anonymous = await fetch(`${rig.url}/api/desired`);
  assert.equal(anonymous.status, 401);
});

test('a signed push to our branch is fetched at once (no poll) and answered 202', async (t) => {
  const rig = await startRig(t);
  const pushed = rig.repo.commit('pushed');
  const answer = await fetch(`${rig.url}/api/hooks/git`, githubPush(JSON.stringify({ ref: 'refs/heads/main', after: pushed })));
  assert.equal(answer.status, 202);
  assert.deepEqual(await answer.json(), { status: 'accepted' });
  await until(() => rig.tracker.current().commit === pushed, WEBHOOK_SEEN_WITHIN_MS, 'the pushed commit');
});

test("GitHub's form-encoded payload is read from the raw body, and its signature checks", async (t) => {
  const rig = await startRig(t);
  const pushed = rig.repo.commit('pushed as a form');
  const body = `payload=${encodeURIComponent(JSON.stringify({ ref: 'refs/heads/main' }))}`;
  const answer = await fetch(`${rig.url}/api/hooks/git`, githubPush(body, SECRET, 'application/x-www-form-urlencoded'));
  assert.equal(answer.status, 202);
  await until(() => rig.tracker.current().commit === pushed, WEBHOOK_SEEN_WITHIN_MS, 'the pushed commit');
});

test('GitLab and Gitea deliveries are believed too', async (t) => {
  const rig = await startRig(t);
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const gitlab = await fetch(`${rig.url}/api/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET }, body });
  assert.equal(gitlab.status, 202);
  const signature = createHmac('sha256', SECRET).update(body).digest('hex');
  const gitea = await fetch(`${rig.url}/api/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-signature': signature }, body });
  assert.equal(gitea.status, 202);
});

test('an unsigned or wrongly signed webhook gets 401 and fetches nothing', async (t) => {
  const rig = await startRig(t);
  const before = rig.tracker.reads;
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const unsigned = await fetch(`${rig.url}/api/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push' }, body });
  assert.equal(unsigned.status, 401);
  assert.equal(((await unsigned.json()) as { error: string }).error, 'unauthorized');
  const wrong = await fetch(`${rig.url}/api/hooks/git`, githubPush(body, 'not the secret'));
  assert.equal(wrong.status, 401);
  const tampered = githubPush(body);
  tampered.body = body.replace('main', 'mainx');
  assert.equal((await fetch(`${rig.url}/api/hooks/git`, tampered)).status, 401);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(rig.tracker.reads, before);
});

test('without a configured secret every webhook gets 401', async (t) => {
  const rig = await startRig(t, undefined);
  const answer = await fetch(`${rig.url}/api/hooks/git`, githubPush(JSON.stringify({ ref: 'refs/heads/main' }), ''));
  assert.equal(answer.status, 401);
});

test('a ping, a push to another branch and another event are answered without fetching; an unreadable body is 400', async (t) => {
  const rig = await startRig(t);
  const before = rig.tracker.reads;
  const ping = githubPush('{"zen":"Keep it simple."}');
  (ping.headers as Record<string, string>)['x-github-event'] = 'ping';
  const pong = await fetch(`${rig.url}/api/hooks/git`, ping);
  assert.equal(pong.status, 200);
  assert.deepEqual(await pong.json(), { status: 'pong' });

  const other = await fetch(`${rig.url}/api/hooks/git`, githubPush(JSON.stringify({ ref: 'refs/heads/feature' })));
  assert.equal(other.status, 200);
  assert.equal(((await other.json()) as { status: string }).status, 'ignored');

  const issues = githubPush('{"action":"opened"}');
  (issues.headers as Record<string, string>)['x-github-event'] = 'issues';
  assert.equal((await fetch(`${rig.url}/api/hooks/git`, issues)).status, 200);

  const unreadable = await fetch(`${rig.url}/api/hooks/git`, githubPush('{"ref":'));
  assert.equal(unreadable.status, 400);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(rig.tracker.reads, before);
});

test('a webhook body over 1 MiB is refused before anything is read from it', async (t) => {
  const rig = await startRig(t);
  const answer = await fetch(`${rig.url}/api/hooks/git`, githubPush(JSON.stringify({ ref: 'refs/heads/main', padding: 'x'.repeat(1024 * 1024) })));
  assert.equal(answer.status, 413);
});

test('a burst of signed pushes is accepted and fetched in fewer reads than deliveries', async (t) => {
  const rig = await startRig(t);
  const before = rig.tracker.reads;
  const pushed = rig.repo.commit('burst');
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(`${rig.url}/api/hooks/git`, githubPush(body))));
  assert.ok(answers.every((answer) => answer.status === 202));
  await until(() => rig.tracker.current().commit === pushed, WEBHOOK_SEEN_WITHIN_MS, 'the pushed commit');
  // Each delivery asked for a read before it was answered. How they coalesce depends on when each
  // arrived (the tracker's own test pins it to two); one read per delivery would be no coalescing.
  assert.ok(rig.tracker.reads - before < 10, `${rig.tracker.reads - before} reads for 10 deliveries`);
});
