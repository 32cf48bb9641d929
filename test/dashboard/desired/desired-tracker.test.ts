// The desired state follows the fleet repository's branch head through a real bare mirror: what it
// reads, how triggers coalesce, how failures show, what survives a restart, how far behind hosts are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DesiredTracker, type DesiredSettings } from '../../../src/dashboard/desired/desired-tracker.js';
import type { DesiredState } from '../../../src/protocol/model.js';
import { createFleetRepo, deferrals, sha256Hex, type FleetRepo } from './git-fixture.js';

const LOCK = '{\n  "nodes": { "root": {} },\n  "root": "root",\n  "version": 7\n}\n';
/** Long enough that no test waits on a poll unless it means to. */
const NO_POLL_MS = 3_600_000;

function settingsFor(repo: FleetRepo, overrides: Partial<DesiredSettings> = {}): DesiredSettings {
  return { repoUrl: repo.originUrl, branch: 'main', pollMs: NO_POLL_MS, sshKey: undefined, versionUrl: undefined, dataDir: repo.dataDir, ...overrides };
}

/** Waits for `promise` at most `ms`. Its timer also keeps the process alive while the tracker's own (unref'd) timers run. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the tracker answers a number (or null) for `commit`, as onBehindKnown announces. */
async function behindOf(tracker: DesiredTracker, commit: string): Promise<number | null> {
  const first = tracker.commitsBehind(commit);
  if (first !== undefined) return first;
  await new Promise<void>((resolve) => tracker.onBehindKnown((known) => known === commit && resolve()));
  const answer = tracker.commitsBehind(commit);
  assert.notEqual(answer, undefined, 'told it was known, yet still unknown');
  return answer ?? null;
}

test('the first read gives the head commit, its subject, committer time and the hash of its flake.lock', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  const commit = repo.commit('hosts: add web-01', { 'flake.lock': LOCK, 'flake.nix': '{ }\n' });
  const tracker = new DesiredTracker(settingsFor(repo));
  defer(() => tracker.stop());

  await tracker.refresh('test');
  const state = tracker.current();
  assert.equal(state.source, 'git');
  assert.equal(state.branch, 'main');
  assert.equal(state.commit, commit);
  assert.equal(state.subject, 'hosts: add web-01');
  assert.equal(state.committed_at, new Date(Number(repo.git('log', '-1', '--format=%ct')) * 1000).toISOString());
  assert.equal(state.lock_hash, sha256Hex(fs.readFileSync(path.join(repo.work, 'flake.lock'))));
  assert.equal(state.error, null);
  assert.ok(state.checked_at && Date.parse(state.checked_at) <= Date.now());
  assert.ok(fs.existsSync(path.join(repo.dataDir, 'desired', 'repo.git', 'HEAD')), 'the mirror is a bare repository in the data dir');
});

test('a commit without flake.lock has an empty lock hash', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  repo.commit('no lock yet', { 'flake.nix': '{ }\n' });
  const tracker = new DesiredTracker(settingsFor(repo));
  defer(() => tracker.stop());
  await tracker.refresh('test');
  assert.equal(tracker.current().lock_hash, '');
  assert.equal(tracker.current().error, null);
});

test('a new push is seen by the next refresh, and listeners hear of it once', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  repo.commit('first', { 'flake.lock': LOCK });
  const tracker = new DesiredTracker(settingsFor(repo));
  defer(() => tracker.stop());
  await tracker.refresh('test');
  const heard: DesiredState[] = [];
  tracker.onChange((state) => heard.push(state));

  await tracker.refresh('test');
  assert.equal(heard.length, 0, 'a read that finds nothing new is no news');
  const second = repo.commit('bump nixpkgs', { 'flake.lock': `${LOCK} ` });
  await tracker.refresh('test');
  assert.equal(heard.length, 1);
  assert.equal(heard[0]?.commit, second);
  assert.equal(heard[0]?.subject, 'bump nixpkgs');
  assert.equal(heard[0]?.lock_hash, sha256Hex(`${LOCK} `));
});

test('a burst of 10 refreshes makes at most 2 fetches, and the last covers every push before it', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  repo.commit('first');
  const tracker = new DesiredTracker(settingsFor(repo));
  defer(() => tracker.stop());
  await tracker.refresh('test');
  const before = tracker.reads;

  const latest = repo.commit('pushed during the burst');
  await Promise.all(Array.from({ length: 10 }, () => tracker.refresh('webhook')));
  assert.equal(tracker.reads - before, 2);
  assert.equal(tracker.current().commit, latest);
});

test('a broken repository URL is an error with git\'s reason, and no commit is invented', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  const tracker = new DesiredTracker(settingsFor(repo, { repoUrl: path.join(repo.root, 'no-such-repo.git') }));
  defer(() => tracker.stop());
  const heard: DesiredState[] = [];
  tracker.onChange((state) => heard.push(state));

  await tracker.refresh('test');
  const state = tracker.current();
  assert.equal(state.commit, '');
  assert.equal(state.lock_hash, '');
  assert.match(state.error ?? '', /does not appear to be a git repository/);
  assert.doesNotMatch(state.error ?? '', /^fatal:/);
  assert.ok(state.checked_at);
  assert.equal(heard.length, 1);
});

test('a missing branch is an error naming it, and the last known commit stays', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  const commit = repo.commit('first');
  const good = new DesiredTracker(settingsFor(repo));
  await good.refresh('test');
  await good.stop();

  // Same mirror, a branch the origin does not have: what was known is kept beside the error.
  const tracker = new DesiredTracker(settingsFor(repo, { branch: 'release' }));
  defer(() => tracker.stop());
  await tracker.refresh('test');
  assert.match(tracker.current().error ?? '', /release/);
  assert.equal(tracker.current().commit, '', 'the release branch was never known');

  const same = new DesiredTracker(settingsFor(repo));
  defer(() => same.stop());
  await same.refresh('test');
  fs.rmSync(path.join(repo.root, 'origin.git'), { recursive: true });
  await same.refresh('test');
  assert.ok(same.current().error, 'the fetch failed');
  assert.equal(same.current().commit, commit, 'the last known commit stays');
});

test('an error clears with the next good read', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  const tracker = new DesiredTracker(settingsFor(repo));
  defer(() => tracker.stop());
  await tracker.refresh('test');
  assert.match(tracker.current().error ?? '', /main/, 'an empty origin has no main yet');
  const commit = repo.commit('first');
  await tracker.refresh('test');
  assert.equal(tracker.current().error, null);
  assert.equal(tracker.current().commit, commit);
});

test('a restarted tracker knows the last commit from the mirror before it fetches', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  const commit = repo.commit('known before the restart', { 'flake.lock': LOCK });
  const first = new DesiredTracker(settingsFor(repo));
  await first.refresh('test');
  await first.stop();

  const second = new DesiredTracker(settingsFor(repo));
  defer(() => second.stop());
  const heard: DesiredState[] = [];
  second.onChange((state) => heard.push(state));
  await second.load();
  assert.equal(second.reads, 0, 'nothing was fetched');
  assert.equal(second.current().commit, commit);
  assert.equal(second.current().subject, 'known before the restart');
  assert.equal(second.current().lock_hash, sha256Hex(LOCK));
  assert.equal(second.current().checked_at, null, 'not checked by this process yet');
  assert.equal(heard.length, 1);
});

test('what a dashboard killed mid-fetch left in the mirror (a ref lock, a partial pack) does not stop the next one fetching', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  repo.commit('before the crash', { 'flake.lock': LOCK });
  const first = new DesiredTracker(settingsFor(repo));
  await first.refresh('test');
  await first.stop();
  const mirror = path.join(repo.dataDir, 'desired', 'repo.git');
  const leftovers = [path.join(mirror, 'refs', 'heads', 'main.lock'), path.join(mirror, 'objects', 'pack', 'tmp_pack_AbCdEf')];
  for (const file of leftovers) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'left by a killed git\n');
  }
  const after = repo.commit('pushed while it was down', { 'flake.lock': LOCK });

  const second = new DesiredTracker(settingsFor(repo));
  defer(() => second.stop());
  await second.refresh('test');
  assert.equal(second.current().error, null, String(second.current().error));
  assert.equal(second.current().commit, after);
  assert.deepEqual(leftovers.filter((file) => fs.existsSync(file)), []);
});

test('start() shows the last known commit even when the first fetch fails', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  const commit = repo.commit('first');
  const first = new DesiredTracker(settingsFor(repo));
  await first.refresh('test');
  await first.stop();

  const tracker = new DesiredTracker(settingsFor(repo, { repoUrl: path.join(repo.root, 'moved-away.git') }));
  defer(() => tracker.stop());
  const failed = new Promise<DesiredState>((resolve) => tracker.onChange((state) => state.error && resolve(state)));
  tracker.start();
  const state = await failed;
  assert.equal(state.commit, commit);
  assert.equal(tracker.reads, 1);
});

test('start() reads at once and then every poll interval', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  repo.commit('first');
  const tracker = new DesiredTracker(settingsFor(repo, { pollMs: 100 }));
  defer(() => tracker.stop());
  const subjects: string[] = [];
  const heard = (subject: string) => new Promise<void>((resolve) => tracker.onChange((state) => state.subject === subject && resolve()));
  tracker.onChange((state) => subjects.push(state.subject));
  const first = heard('first');
  tracker.start();
  await within(15_000, first, 'the first read');
  const readsAfterStart = tracker.reads;
  const second = heard('second');
  repo.commit('second');
  await within(15_000, second, 'the poll');
  assert.equal(readsAfterStart, 1, 'start() read once');
  assert.deepEqual(subjects, ['first', 'second']);
});

test('commits behind: 0 for the head (full or short), N for an ancestor, null for unknown or diverged commits', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  const old = repo.commit('one');
  repo.commit('two');
  repo.commit('three');
  const head = repo.commit('four');
  const tracker = new DesiredTracker(settingsFor(repo));
  defer(() => tracker.stop());
  await tracker.refresh('test');

  assert.equal(tracker.commitsBehind(head), 0);
  assert.equal(tracker.commitsBehind(head.slice(0, 7).toUpperCase()), 0);
  assert.equal(tracker.commitsBehind(old), undefined, 'found out in the background');
  assert.equal(await behindOf(tracker, old), 3);
  assert.equal(await behindOf(tracker, old.slice(0, 8)), 3, 'a short commit from an old agent');
  assert.equal(await behindOf(tracker, 'deadbeef'.repeat(5)), null, 'not in the mirror');
  assert.equal(tracker.commitsBehind('not a commit'), null);
  assert.equal(tracker.commitsBehind('abc12'), null, 'too short to name a commit');

  // The branch is rewritten: the old head stays in the mirror but is no ancestor of the new one.
  repo.git('reset', '--quiet', '--hard', old);
  const rewritten = repo.commit('rewritten');
  await tracker.refresh('test');
  assert.equal(tracker.current().commit, rewritten);
  assert.equal(await behindOf(tracker, head), null, 'diverged');
  assert.equal(await behindOf(tracker, old), 1, 'answers were for the old head: they are found again');
});

test('stop() ends a fetch that hangs at once, and records no error for it', async (t) => {
  const defer = deferrals(t);
  const repo = createFleetRepo();
  defer(() => repo.remove());
  // A server that takes the connection and never answers: git waits for it.
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  defer(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const { port } = silent.address() as net.AddressInfo;
  const tracker = new DesiredTracker(settingsFor(repo, { repoUrl: `http://127.0.0.1:${port}/fleet.git` }));
  defer(() => tracker.stop());
  const reading = tracker.refresh('test');
  while (sockets.size === 0) await new Promise((resolve) => setTimeout(resolve, 10));

  const began = Date.now();
  await tracker.stop();
  await reading;
  assert.ok(Date.now() - began < 3_000, `stopped in ${Date.now() - began} ms`);
  assert.equal(tracker.current().error, null);
  assert.equal(tracker.current().checked_at, null);
  await tracker.refresh('after stop');
  assert.equal(tracker.reads, 1, 'a stopped tracker reads no more');
});

test('with no source configured the state says so, and only an equal commit is 0 behind', async () => {
  const tracker = new DesiredTracker({ repoUrl: undefined, branch: 'main', pollMs: NO_POLL_MS, sshKey: undefined, versionUrl: undefined, dataDir: '/nonexistent' });
  tracker.start();
  await tracker.refresh('test');
  assert.equal(tracker.current().source, 'none');
  assert.equal(tracker.current().commit, '');
  assert.equal(tracker.commitsBehind('a'.repeat(40)), null);
  await tracker.stop();
});
