// The benchmark still works: a five-second run against a real dashboard process loses nothing,
// stores everything and reports every measure, a small rollout runs every step of every host once
// within its batch size, and a small fleet comes back after the dashboard restarts (the targets
// themselves live in npm run bench).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../helpers/dashboard.js';
import { nodeArgs } from '../helpers/program.js';

test('the smoke scenarios run end to end and report latency, loss, CPU, memory, storage, a rollout and a restart storm', () => {
  const out = path.join(tempDir(), 'smoke.json');
  const run = spawnSync(process.execPath, nodeArgs('bench/run.ts', '--smoke', '--from-source', '--out', out), { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  const { results } = JSON.parse(fs.readFileSync(out, 'utf8')) as { results: Record<string, unknown>[] };
  const [smoke] = results;
  assert.ok(smoke);
  assert.equal(smoke.linesLost, 0);
  assert.equal(smoke.linesReordered, 0);
  assert.equal(smoke.allStored, true);
  assert.ok((smoke.linesSent as number) >= 20 * 50 * 4, `only ${smoke.linesSent} lines sent`);
  assert.equal(smoke.deliveries, (smoke.linesSent as number) * 3);
  for (const key of ['cpuUsPerDelivery', 'rssPerAgentKB', 'rssPerBrowserKB', 'connectRatePerS', 'deliveriesPerSecond']) {
    assert.ok(Number.isFinite(smoke[key]), key);
  }
  const output = smoke.output as { p50: number; p99: number; max: number };
  assert.ok(output.p50 > 0 && output.p50 <= output.p99 && output.p99 <= output.max + 0.1);
  assert.match(run.stdout, /smoke .* PASS/);
  // Each scenario says how fast the machine was before it, and how busy the simulated browsers' thread was.
  for (const result of results) {
    assert.ok(Number.isFinite(result.referenceMs) && (result.referenceMs as number) > 0, `${String(result.key)}: machine reference`);
    const busy = result.browserThreadsBusy as number[];
    assert.equal(busy.length, 1, `${String(result.key)}: one browser thread`);
    assert.ok(busy.every((b) => b > 0 && b <= 1), `${String(result.key)}: busy ${busy.join(', ')}`);
  }
  assert.match(run.stdout, /load generator: browser threads busy \d+ %/);

  const rolloutRun = results.find((r) => r.key === 'smoke-rollout');
  assert.ok(rolloutRun, 'the rollout smoke scenario ran');
  assert.equal(rolloutRun.pass, true, JSON.stringify(rolloutRun.verdicts));
  const rollout = rolloutRun.rollout as Record<'wallMs' | 'cpuMsPerHostStep' | 'peakRssMB' | 'stepsSucceeded' | 'hostsExact' | 'maxHostsInFlight', number> & { status: string };
  assert.equal(rollout.status, 'succeeded');
  assert.equal(rollout.stepsSucceeded, 20 * 2);
  assert.equal(rollout.hostsExact, 20);
  assert.equal(rollout.maxHostsInFlight, 5, 'the batch of 5 is filled and never exceeded');
  assert.equal(rolloutRun.versionGaps, 0);
  for (const key of ['wallMs', 'cpuMsPerHostStep', 'peakRssMB'] as const) assert.ok(Number.isFinite(rollout[key]) && rollout[key] > 0, key);

  const stormRun = results.find((r) => r.key === 'smoke-storm');
  assert.ok(stormRun, 'the restart storm smoke scenario ran');
  assert.equal(stormRun.pass, true, JSON.stringify(stormRun.verdicts));
  const storm = stormRun.storm as Record<'agents' | 'registered' | 'browsers' | 'browsersBack' | 'offlineShown' | 'commandsRunning' | 'commandsStillRunning' | 'peakRssMB', number>;
  assert.equal(storm.registered, storm.agents, 'every agent registered again after the restart');
  assert.equal(storm.browsersBack, storm.browsers, 'every browser reconnected and got its init');
  assert.equal(storm.offlineShown, 0);
  assert.ok(storm.commandsRunning > 0 && storm.commandsStillRunning === storm.commandsRunning, 'the commands ran on across the restart');
  assert.ok(Number.isFinite(storm.peakRssMB) && storm.peakRssMB > 0, 'peak RSS');
});
