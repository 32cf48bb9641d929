// The agent keeps its facts fresh by itself: every NIXFLEET_REFRESH_INTERVAL (jittered) it checks
// git, lock and system, updating only what its heartbeat reports: no command, no output. Never while
// a command runs: a round that comes due waits for the command's end, and one in progress when a
// command arrives is cut short, its programs ended and its findings dropped. After a command that
// succeeded, what it may have changed is checked again at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { REFRESH_JITTER_FRACTION, jitteredMs } from '../../src/agent/freshness/refresher.js';
import { isAlive } from '../../src/agent/executor/detached.js';
import { TestFleet, waitFor } from './support/fleet.js';
import { killAllAgents } from './support/agent-process.js';
import { FrameTap } from './support/frame-tap.js';
import type { FleetRepo } from './support/fleet-repo.js';

const HOST = 'cron-01';
let fleet: TestFleet;
let tap: FrameTap;
let repo: FleetRepo;

before(async () => {
  fleet = await TestFleet.start();
  tap = await FrameTap.start(fleet.t.wsUrl);
  repo = fleet.repo(HOST);
});
after(async () => {
  await killAllAgents();
  await tap.close();
  await fleet.close();
});

type Book = Record<'git' | 'lock' | 'system' | 'tests', { status: string; message: string } | null>;

/** The update_status of the newest heartbeat of `host`. */
function book(host = HOST): Book | undefined {
  return tap.of(host, 'heartbeat').at(-1)?.payload.update_status as Book | undefined;
}

/** "start <pid> nix … eval …" events of the fakes, as [index in the events, pid]. */
function evaluations(events: readonly string[]): [number, number][] {
  return events.flatMap((e, i): [number, number][] => {
    const match = /^start (\d+) nix .* eval /.exec(e);
    return match ? [[i, Number(match[1])]] : [];
  });
}

test('each interval is the setting moved by up to ±10%, spread over that whole window', () => {
  assert.equal(REFRESH_JITTER_FRACTION, 0.1);
  assert.equal(jitteredMs(300_000, () => 0), 270_000);
  assert.equal(jitteredMs(300_000, () => 0.5), 300_000);
  assert.equal(jitteredMs(300_000, () => 1), 330_000);
  const draws = Array.from({ length: 2_000 }, () => jitteredMs(300_000));
  assert.ok(draws.every((d) => d >= 270_000 && d <= 330_000));
  // Every twentieth of the window gets some agents, so a fleet does not fetch in step.
  assert.equal(new Set(draws.map((d) => Math.min(19, Math.floor((d - 270_000) / 3_000)))).size, 20);
});

test('every interval the agent checks by itself: its heartbeat shows origin moving on, and no command exists for it', async () => {
  await fleet.startAgent(fleet.agentEnv(HOST, repo.hostClone, { NIXFLEET_URL: tap.wsUrl, NIXFLEET_REFRESH_INTERVAL: '1s' }));
  const first = await waitFor(() => {
    const now = book();
    return now?.git && now.lock && now.system ? now : undefined;
  }, 'a heartbeat with all three checks');
  assert.equal(first.git?.message, 'up to date with origin/main');
  assert.match(first.lock?.message ?? '', /^nixpkgs locked 2025-01-01/);
  // The fake evaluation prints no store path: the configuration differs from what runs.
  assert.equal(first.system?.status, 'outdated');

  repo.commit('ahead of the host', { 'hosts/cron-01/a.nix': '{ }\n' });
  await waitFor(() => book()?.git?.message === '1 commit behind origin/main', 'a later round to see origin move');
  // A round checks git, lock, then system, and a heartbeat may carry its git finding before its
  // evaluation starts: wait for that, rather than expect it already.
  await waitFor(() => evaluations(fleet.tools.events()).length >= 2, 'the system evaluated in more than one round');
  const commandFrames = tap.frames.filter((f) => f.host === HOST && !['register', 'heartbeat'].includes(f.type));
  assert.deepEqual(commandFrames.map((f) => f.type), [], 'no output, progress or status');
  assert.deepEqual(fleet.t.dashboard.context.hub.parts.commands.snapshot().filter((c) => c.host_id === HOST), []);
});

test('no check runs while a command does: the rounds that came due run after it', async () => {
  // Rounds (every second) come due while the switch sleeps.
  fleet.tools.set('nixos-rebuild', { lines: 1, sleepS: 2.5 });
  const id = await fleet.send(HOST, 'switch');
  assert.equal((await fleet.ended(id, 30_000)).status, 'succeeded');
  const switchEnd = (events: readonly string[]) => events.findIndex((e) => /^end \d+ nixos-rebuild$/.test(e));
  const events = await waitFor(() => {
    const now = fleet.tools.events();
    return switchEnd(now) >= 0 && evaluations(now).some(([i]) => i > switchEnd(now)) ? now : undefined;
  }, 'an evaluation after the switch');
  const start = events.findIndex((e) => /^start \d+ nixos-rebuild switch/.test(e));
  assert.ok(evaluations(events).some(([i]) => i < start), 'rounds ran before the switch');
  assert.deepEqual(events.slice(start + 1, switchEnd(events)), [], 'nothing started while the switch ran');
});

test('a command that arrives during a round ends the round\'s program first, and the cut-short check records nothing', async () => {
  fleet.tools.set('nix', { lines: 1, sleepS: 300 });
  const since = fleet.tools.events().length;
  const [, pid] = await waitFor(() => evaluations(fleet.tools.events()).find(([i]) => i >= since), 'a round to hang in nix eval');
  fleet.tools.set('nix', { lines: 1 });
  // refresh-lock leaves the system entry alone: the heartbeat that follows it shows what the book holds.
  const id = await fleet.send(HOST, 'refresh-lock');
  assert.equal((await fleet.ended(id)).status, 'succeeded', 'the command did not wait for the evaluation');
  assert.equal(isAlive(pid), false, 'the evaluation was ended');
  assert.equal(fleet.tools.events().includes(`end ${pid} nix`), false, 'it never finished');
  const status = await waitFor(() => tap.of(HOST, 'status').find((f) => f.payload.command_id === id), 'the status');
  const heartbeat = await waitFor(() => tap.after(status, 'heartbeat'), 'the heartbeat after it');
  const { status: state, message } = (heartbeat.payload.update_status as Book).system ?? {};
  // What every finished evaluation of the fake says; the cut-short one would have been an error.
  assert.deepEqual({ state, message }, { state: 'outdated', message: 'the configuration differs from the running system: switch to apply it' });
});

test('with the periodic checks off, what a command changed is still checked again right after it succeeded', async () => {
  const host = 'cron-02';
  const own = fleet.repo(host);
  await fleet.startAgent(fleet.agentEnv(host, own.hostClone, { NIXFLEET_URL: tap.wsUrl, NIXFLEET_REFRESH_INTERVAL: 'off' }));
  const evaluationsOfHost = () => evaluations(fleet.tools.events()).filter(([i]) => fleet.tools.events()[i]?.includes(`#nixosConfigurations.${host}.`));
  own.commit('next', { 'hosts/cron-02/a.nix': '{ }\n' });
  assert.equal((await fleet.ended(await fleet.send(host, 'pull'))).status, 'succeeded');
  // The pull itself says where it got to; the check after it compares with origin.
  await waitFor(() => book(host)?.git?.message === 'up to date with origin/main' && book(host)?.lock, 'git and lock checked after the pull');
  assert.deepEqual(evaluationsOfHost(), [], 'a pull changes no system');

  fleet.tools.set('nixos-rebuild', { lines: 1 });
  assert.equal((await fleet.ended(await fleet.send(host, 'switch'))).status, 'succeeded');
  await waitFor(() => book(host)?.system?.message === 'the configuration differs from the running system: switch to apply it', 'the system checked after the switch');
  assert.equal(evaluationsOfHost().length, 1);
});

test('before its first pull an isolated agent\'s rounds say the repository is not cloned yet, rather than fail', async () => {
  const host = 'cron-03';
  const own = fleet.repo(host);
  const env = fleet.agentEnv(host, '', { NIXFLEET_URL: tap.wsUrl, NIXFLEET_REPO_URL: own.origin, NIXFLEET_REPO_DIR: '', NIXFLEET_REFRESH_INTERVAL: '1s' });
  await fleet.startAgent(env);
  const checked = await waitFor(() => {
    const now = book(host);
    return now?.git && now.lock && now.system ? now : undefined;
  }, 'a round of the isolated agent');
  assert.deepEqual(
    [checked.git, checked.lock, checked.system].map((c) => [c?.status, c?.message]),
    [
      ['outdated', 'the repository is not cloned yet: run pull'],
      ['unknown', 'no nixpkgs in flake.lock'],
      ['unknown', 'the repository is not cloned yet: run pull'],
    ],
  );
});
