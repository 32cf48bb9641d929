// The earlier dashboard's version URL as the source of the desired state, against a real local HTTP
// server: a good document becomes the desired state, anything else an explicit error that keeps the
// last good commit, and a restart shows the last good answer at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DesiredTracker, type DesiredSettings } from '../../../src/dashboard/desired/desired-tracker.js';
import { VersionUrlError, VersionUrlSource, parseVersionDocument } from '../../../src/dashboard/desired/version-source.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const LOCK_HASH = 'ab'.repeat(32);
const NO_POLL_MS = 3_600_000;

interface VersionServer {
  url: string;
  /** What the server answers next: a status and a body. */
  answer: { status: number; body: string };
  close(): Promise<void>;
}

async function startVersionServer(t: { after(fn: () => Promise<void>): void }): Promise<VersionServer> {
  const state = { status: 200, body: JSON.stringify({ gitCommit: COMMIT, lockHash: LOCK_HASH }) };
  const server = http.createServer((_request, response) => {
    response.writeHead(state.status, { 'content-type': 'application/json' });
    response.end(state.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  t.after(close);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/version.json`,
    get answer() {
      return state;
    },
    set answer(next) {
      Object.assign(state, next);
    },
    close,
  };
}

function scratchDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nixfleet-version-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function settings(url: string, dataDir: string): DesiredSettings {
  return { repoUrl: undefined, branch: 'main', pollMs: NO_POLL_MS, sshKey: undefined, versionUrl: url, dataDir };
}

test('a good version document becomes the desired state: commit and lock hash, no subject or time', async (t) => {
  const server = await startVersionServer(t);
  const tracker = new DesiredTracker(settings(server.url, scratchDir(t)));
  t.after(() => tracker.stop());
  await tracker.refresh('test');
  const state = tracker.current();
  assert.equal(state.source, 'version_url');
  assert.equal(state.commit, COMMIT);
  assert.equal(state.lock_hash, LOCK_HASH);
  assert.equal(state.subject, '');
  assert.equal(state.committed_at, null);
  assert.equal(state.error, null);
  assert.ok(state.checked_at);
});

test('bad JSON and HTTP 500 are explicit errors that keep the last good commit', async (t) => {
  const server = await startVersionServer(t);
  const tracker = new DesiredTracker(settings(server.url, scratchDir(t)));
  t.after(() => tracker.stop());
  await tracker.refresh('test');

  server.answer = { status: 200, body: '{"gitCommit": ' };
  await tracker.refresh('test');
  assert.match(tracker.current().error ?? '', /did not answer JSON/);
  assert.equal(tracker.current().commit, COMMIT);

  server.answer = { status: 500, body: 'oops' };
  await tracker.refresh('test');
  assert.equal(tracker.current().error, 'the version URL answered HTTP 500');
  assert.equal(tracker.current().commit, COMMIT);

  server.answer = { status: 200, body: JSON.stringify({ gitCommit: COMMIT, lockHash: LOCK_HASH }) };
  await tracker.refresh('test');
  assert.equal(tracker.current().error, null);
});

test('an unreachable version URL is an error naming why, and no commit is invented', async (t) => {
  const server = await startVersionServer(t);
  const url = server.url;
  await server.close();
  const tracker = new DesiredTracker(settings(url, scratchDir(t)));
  t.after(() => tracker.stop());
  await tracker.refresh('test');
  assert.match(tracker.current().error ?? '', /cannot reach the version URL: .*ECONNREFUSED/);
  assert.equal(tracker.current().commit, '');
});

test('a version URL that does not answer in time is a timeout error', async (t) => {
  const hanging = http.createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    hanging.closeAllConnections();
    hanging.close();
  });
  const { port } = hanging.address() as AddressInfo;
  const source = new VersionUrlSource({ url: `http://127.0.0.1:${port}/`, stateFile: path.join(scratchDir(t), 'v.json'), timeoutMs: 200 });
  await assert.rejects(source.read(new AbortController().signal), (err: unknown) => err instanceof VersionUrlError && err.code === 'timeout');
});

test('a version document is validated: a full commit hash, and a SHA-256 lock hash or none', () => {
  assert.deepEqual(parseVersionDocument(JSON.stringify({ gitCommit: COMMIT.toUpperCase() })), { commit: COMMIT, lock_hash: '', committed_at: null, subject: '' });
  const bad = [
    '[]',
    'null',
    JSON.stringify({}),
    JSON.stringify({ gitCommit: COMMIT.slice(0, 12), lockHash: LOCK_HASH }),
    JSON.stringify({ gitCommit: 'z'.repeat(40) }),
    JSON.stringify({ gitCommit: COMMIT, lockHash: 'sha256-abc' }),
    JSON.stringify({ gitCommit: COMMIT, lockHash: 42 }),
  ];
  for (const text of bad) assert.throws(() => parseVersionDocument(text), (err: unknown) => err instanceof VersionUrlError && err.code === 'bad_document', text);
});

test('a restarted tracker shows the last good answer before it asks again, for the same URL only', async (t) => {
  const server = await startVersionServer(t);
  const dataDir = scratchDir(t);
  const first = new DesiredTracker(settings(server.url, dataDir));
  await first.refresh('test');
  await first.stop();

  const second = new DesiredTracker(settings(server.url, dataDir));
  t.after(() => second.stop());
  await second.load();
  assert.equal(second.reads, 0);
  assert.equal(second.current().commit, COMMIT);

  const elsewhere = new DesiredTracker(settings(`${server.url}?other`, dataDir));
  t.after(() => elsewhere.stop());
  await elsewhere.load();
  assert.equal(elsewhere.current().commit, '', 'an answer from another URL is not ours');
});

test('without history, only the desired commit itself is known to be 0 behind', async (t) => {
  const server = await startVersionServer(t);
  const tracker = new DesiredTracker(settings(server.url, scratchDir(t)));
  t.after(() => tracker.stop());
  await tracker.refresh('test');
  assert.equal(tracker.commitsBehind(COMMIT), 0);
  assert.equal(tracker.commitsBehind(COMMIT.slice(0, 7)), 0);
  assert.equal(tracker.commitsBehind('f'.repeat(40)), null);
});

test('a source that stays down is told once: reasons that differ only in their numbers are not news', async (t) => {
  const server = await startVersionServer(t);
  const tracker = new DesiredTracker(settings(server.url, scratchDir(t)));
  t.after(() => tracker.stop());
  const told: (string | null)[] = [];
  tracker.onChange((state) => told.push(state.error));
  // Not JSON, and never at the same place: the parser's reason names another position each time.
  for (let i = 1; i <= 4; i++) {
    server.answer = { status: 200, body: `{${' '.repeat(i)}x}` };
    await tracker.refresh('test');
  }
  assert.equal(told.length, 1, `told ${JSON.stringify(told)}`);
  assert.match(told[0] ?? '', /did not answer JSON/);
  assert.match(tracker.current().error ?? '', /position 5\b/, 'the state keeps the latest words');
  // A reason in other words is news again.
  server.answer = { status: 503, body: '' };
  await tracker.refresh('test');
  assert.equal(told.length, 2);
  assert.match(told[1] ?? '', /HTTP 503/);
});
