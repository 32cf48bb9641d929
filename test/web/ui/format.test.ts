// How times read: ages ("3 min ago", the desired commit's and last seen), expiries ("in 23 h").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duration, shortCommit, timeAgo, timeUntil } from '../../../src/web/ui/format.js';

const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const before = (ms: number) => new Date(NOW - ms).toISOString();
const after = (ms: number) => new Date(NOW + ms).toISOString();
const S = 1_000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

test('a span reads in its largest whole unit, rounded down', () => {
  assert.equal(duration(0), '0 s');
  assert.equal(duration(59 * S + 999), '59 s');
  assert.equal(duration(MIN), '1 min');
  assert.equal(duration(59 * MIN + 59 * S), '59 min');
  assert.equal(duration(H), '1 h');
  assert.equal(duration(23 * H + 59 * MIN), '23 h');
  assert.equal(duration(3 * D + 5 * H), '3 d');
  assert.equal(duration(-5 * S), '0 s', 'never negative');
});

test('an age: seconds, minutes, hours, days; a clock a little ahead counts as now', () => {
  assert.equal(timeAgo(before(12 * S), NOW), '12 s ago');
  assert.equal(timeAgo(before(3 * MIN + 20 * S), NOW), '3 min ago');
  assert.equal(timeAgo(before(5 * H), NOW), '5 h ago');
  assert.equal(timeAgo(before(40 * D), NOW), '40 d ago');
  assert.equal(timeAgo(after(2 * S), NOW), '0 s ago');
  assert.equal(timeAgo(null, NOW), 'never');
  assert.equal(timeAgo('not a time', NOW), '—');
});

test('an expiry: how long until, then now', () => {
  assert.equal(timeUntil(after(24 * H - 1 * S), NOW), 'in 23 h');
  assert.equal(timeUntil(after(90 * S), NOW), 'in 1 min');
  assert.equal(timeUntil(before(1 * S), NOW), 'now');
  assert.equal(timeUntil(new Date(NOW).toISOString(), NOW), 'now');
});

test('a commit is quoted by its first seven digits', () => {
  assert.equal(shortCommit('0123456789abcdef'), '0123456');
});
