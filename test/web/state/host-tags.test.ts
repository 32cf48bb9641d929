// Host tags without a browser: the page checks a tag with the protocol's pattern, reads typed tags as
// the dashboard keeps them, and the tag filter (either kind of tag) narrows the table together with
// the name filter and the summary's filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleetTags, isValidTag, matchesTagFilter, MAX_TAGS_PER_HOST, parseTags, tagsProblem } from '../../../src/web/state/host-tags.js';
import { DEFAULT_SORT, visibleHosts } from '../../../src/web/ui/fleet/sorting.js';
import { compartments, host } from '../helpers/fixtures.js';

test('a tag is checked with the protocol’s pattern', () => {
  for (const good of ['web', 'prod-eu.1', 'A_b', '9', 'x'.repeat(63)]) assert.ok(isValidTag(good), good);
  for (const bad of ['', '-web', '.x', 'a b', 'ä', 'x'.repeat(64), 'a/b']) assert.ok(!isValidTag(bad), bad);
});

test('typed tags split at commas and spaces, without repeats, sorted as the dashboard keeps them', () => {
  assert.deepEqual(parseTags(' web, prod  db,,web \n'), ['db', 'prod', 'web']);
  assert.deepEqual(parseTags('   '), [], 'empty removes every tag');
});

test('tags the dashboard would refuse are named before any request', () => {
  assert.equal(tagsProblem(['web', 'db']), null);
  assert.match(tagsProblem(['web', '-bad', 'a.b', 'ü']) ?? '', /^“-bad”, “ü” cannot be a tag/);
  const many = Array.from({ length: MAX_TAGS_PER_HOST + 1 }, (_, i) => `t${i}`);
  assert.match(tagsProblem(many) ?? '', /at most 64 tags/);
});

const fleet = [
  host('web-1', { tags: ['web'], compartments: compartments({ git: 'outdated' }) }),
  host('web-2', { agent_tags: ['web', 'eu'] }),
  host('db-1', { tags: ['db'], agent_tags: ['eu'], compartments: compartments({ git: 'outdated' }) }),
  host('mac-1'),
];

test('the tag filter matches a tag of either kind; null shows every host', () => {
  assert.deepEqual(fleet.filter((h) => matchesTagFilter(h, 'web')).map((h) => h.id), ['web-1', 'web-2']);
  assert.deepEqual(fleet.filter((h) => matchesTagFilter(h, 'eu')).map((h) => h.id), ['web-2', 'db-1']);
  assert.equal(fleet.filter((h) => matchesTagFilter(h, null)).length, 4);
  assert.deepEqual(fleetTags(fleet), ['db', 'eu', 'web'], 'what the filter offers: every tag once');
});

test('the tag filter works together with the summary filter and the name filter', () => {
  const ids = (name: string, summary: Parameters<typeof visibleHosts>[3], tag: string | null) =>
    visibleHosts(fleet, name, DEFAULT_SORT, summary, tag).map((h) => h.id);
  assert.deepEqual(ids('', null, 'web'), ['web-1', 'web-2']);
  assert.deepEqual(ids('', 'behind', 'web'), ['web-1'], 'tagged web and behind');
  assert.deepEqual(ids('', 'behind', 'eu'), ['db-1']);
  assert.deepEqual(ids('web', 'current', 'eu'), ['web-2']);
  assert.deepEqual(ids('db', null, 'web'), [], 'all three apply');
  assert.deepEqual(ids('', 'behind', null), ['db-1', 'web-1']);
});
