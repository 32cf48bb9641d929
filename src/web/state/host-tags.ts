// Tags on hosts: those the admin sets here (PUT /api/hosts/:id/tags) and those the agent reports
// (NIXFLEET_TAGS, read-only here). Both count for the table's tag filter and a rollout's target.
import { TAG_PATTERN } from '../../protocol/rollout-rules.js';
import type { Host } from '../../protocol/model.js';

export { TAG_PATTERN };
const TAG_RE = new RegExp(TAG_PATTERN);
/** The most tags the dashboard takes for one host. */
export const MAX_TAGS_PER_HOST = 64;

export function isValidTag(value: string): boolean {
  return TAG_RE.test(value);
}

/** Typed tags, split at commas and spaces, without repeats, in the order the dashboard keeps (sorted). */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((tag) => tag !== ''))].sort();
}

/** Why the dashboard would refuse these tags, said before any request; null when they fit. */
export function tagsProblem(tags: readonly string[]): string | null {
  const bad = tags.filter((tag) => !isValidTag(tag));
  if (bad.length > 0) {
    return `${bad.map((tag) => `“${tag}”`).join(', ')} cannot be a tag: a tag is a letter or digit, then up to 62 letters, digits, dots, dashes or underscores.`;
  }
  if (tags.length > MAX_TAGS_PER_HOST) return `A host takes at most ${MAX_TAGS_PER_HOST} tags.`;
  return null;
}

/** Whether the host carries the tag, set by the admin or reported by its agent. */
export function hasTag(host: Host, tag: string): boolean {
  return host.tags.includes(tag) || host.agent_tags.includes(tag);
}

/** The table's tag filter: null shows every host. */
export function matchesTagFilter(host: Host, tag: string | null): boolean {
  return tag === null || hasTag(host, tag);
}

/** Every tag in the fleet, of either kind, sorted: what the tag filter and the rollout dialog offer. */
export function fleetTags(hosts: Iterable<Host>): string[] {
  const tags = new Set<string>();
  for (const host of hosts) {
    for (const tag of host.tags) tags.add(tag);
    for (const tag of host.agent_tags) tags.add(tag);
  }
  return [...tags].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}
