// The cells of a host row that have some logic of their own. Every agent string is a text child or
// an attribute value, never markup.
import { useNow } from '../clock.js';
import { percent, timeAgo, type Presence } from '../format.js';
import { focusTip } from '../tooltip.js';

const PRESENCE_LABELS: Record<Presence, string> = { online: 'online', reconnecting: 'reconnecting', offline: 'offline' };

export function PresenceBadge({ presence }: { presence: Presence }) {
  return <span class={`badge presence-${presence}`}>{PRESENCE_LABELS[presence]}</span>;
}

export function LastSeen({ at }: { at: string | null }) {
  const now = useNow();
  return (
    <time dateTime={at ?? undefined} title={at ? new Date(at).toLocaleString() : undefined}>
      {timeAgo(at, now)}
    </time>
  );
}

export function Metric({ value, label }: { value: number | undefined; label: string }) {
  if (value === undefined) return <span class="muted">—</span>;
  return (
    <span class="metric">
      <meter min={0} max={100} low={70} high={90} optimum={0} value={value} aria-label={label} />
      <span>{percent(value)}</span>
    </span>
  );
}

/** Why the badge is there, in its title and (on keyboard focus) its tooltip. */
export const AGENT_CONFLICT_EXPLAINED =
  'Two agents keep replacing each other as this host: one of them runs with the wrong hostname or token. Each connection of one closes the other, so commands and reports may go to either.';

export function AgentConflictBadge() {
  return (
    <span class="badge agent-conflict" tabIndex={0} title={AGENT_CONFLICT_EXPLAINED} {...focusTip}>
      <span aria-hidden="true">⚠ </span>two agents
      <span class="visually-hidden">: {AGENT_CONFLICT_EXPLAINED}</span>
    </span>
  );
}

/** Why the badge is there and what to do about it, in its title and (on keyboard focus) its tooltip. */
export const SHARED_TOKEN_EXPLAINED =
  'Its agent registered with the shared agent token (NIXFLEET_AGENT_TOKEN), which any host may use. Give it its own token: Actions → Rotate token…, then put the new token on the host.';

export function SharedTokenBadge() {
  return (
    <span class="badge shared-token" tabIndex={0} title={SHARED_TOKEN_EXPLAINED} {...focusTip}>
      shared token
      <span class="visually-hidden">: {SHARED_TOKEN_EXPLAINED}</span>
    </span>
  );
}
