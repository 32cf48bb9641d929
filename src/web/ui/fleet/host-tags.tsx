// A host's tags under its name: the admin's (set with "Edit tags…") and, outlined, those its agent
// reports (NIXFLEET_TAGS on the host), which the page cannot change.
import type { Host } from '../../../protocol/model.js';

export const AGENT_TAG_TITLE = 'Reported by the agent (NIXFLEET_TAGS on the host); change it there.';

export function HostTags({ host }: { host: Host }) {
  if (host.tags.length === 0 && host.agent_tags.length === 0) return null;
  return (
    <ul class="tags" aria-label={`Tags of ${host.hostname}`}>
      {host.tags.map((tag) => (
        <li key={`admin:${tag}`} class="tag tag-admin" data-tag={tag}>
          {tag}
        </li>
      ))}
      {host.agent_tags.map((tag) => (
        <li key={`agent:${tag}`} class="tag tag-agent" data-tag={tag} title={AGENT_TAG_TITLE}>
          {tag}
          <span class="visually-hidden"> (from the agent)</span>
        </li>
      ))}
    </ul>
  );
}
