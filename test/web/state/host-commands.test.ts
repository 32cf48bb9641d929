// Which command a host's row shows: the running one or the latest, never a `stop` (a signal the
// dashboard marks succeeded once delivered), never one still waiting in the queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandShown, hostCommandsOf, NO_COMMANDS } from '../../../src/web/state/host-commands.js';
import { command } from '../helpers/fixtures.js';

const at = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000Z`;

test('the latest command is the newest that ran or ended, whatever order they come in', () => {
  const older = command('c1', 'a', at(1), 'succeeded', 'pull');
  const newer = command('c2', 'a', at(2), 'failed', 'switch');
  assert.equal(hostCommandsOf([newer, older]).latest, newer);
  assert.equal(hostCommandsOf([older, newer]).latest, newer);
});

test('the latest is the one that last ran or ended: a queued command cancelled earlier does not hide a later run', () => {
  const run = { ...command('c1', 'a', at(1), 'running', 'pull'), started_at: at(6) };
  const cancelled = { ...command('c2', 'a', at(2), 'cancelled', 'reboot'), started_at: null, finished_at: at(5) };
  assert.equal(hostCommandsOf([run, cancelled]).latest, run);
  const ended = { ...run, status: 'succeeded' as const, finished_at: at(7) };
  const cancelledLater = { ...cancelled, finished_at: at(8) };
  assert.equal(hostCommandsOf([ended, cancelledLater]).latest, cancelledLater, 'a cancel after the run is the latest news');
});

test('a stop is never the latest: the command it stopped is', () => {
  const stopped = command('c1', 'a', at(1), 'stopped', 'test');
  const stop = command('s1', 'a', at(2), 'succeeded', 'stop');
  assert.equal(hostCommandsOf([stopped, stop]).latest, stopped);
  assert.equal(hostCommandsOf([stop]).latest, undefined);
});

test('queued commands are apart, oldest first; they never hide the latest run', () => {
  const ran = command('c1', 'a', at(1), 'succeeded', 'pull');
  const second = command('q2', 'a', at(5), 'queued', 'switch');
  const first = command('q1', 'a', at(4), 'queued', 'test');
  const view = hostCommandsOf([second, ran, first]);
  assert.equal(view.latest, ran);
  assert.deepEqual(view.queued, [first, second]);
});

test('no commands at all is the one shared empty view', () => {
  assert.equal(hostCommandsOf([]), NO_COMMANDS);
  assert.equal(hostCommandsOf([command('s', 'a', at(1), 'succeeded', 'stop')]), NO_COMMANDS);
});

test('the cell shows the running command, else the latest; the same command from the commands, which hear of its end first', () => {
  const running = command('c2', 'a', at(2), 'running', 'switch');
  const older = command('c1', 'a', at(1), 'succeeded', 'pull');
  assert.equal(commandShown(running, older), running);
  assert.equal(commandShown(running, command('c3', 'a', at(3), 'cancelled', 'reboot')), running, 'a command that never ran does not hide the one running');
  assert.equal(commandShown(null, older), older);
  assert.equal(commandShown(running, undefined), running);
  const ended = { ...running, status: 'stopped' as const };
  assert.equal(commandShown(running, ended), ended, 'the stopped copy wins over the host’s stale running one');
  const stop = command('s1', 'a', at(3), 'running', 'stop');
  assert.equal(commandShown(stop, older), older, 'a stop is not shown even as running');
  assert.equal(commandShown(null, undefined), undefined);
});
