// The cells of a host row that have some logic of their own. Every agent string is a text child or
// an attribute value, never markup.
import type { Command, Host, UpdateStatus } from '../../../protocol/model.js';
import { isActiveStatus } from '../../../protocol/constants.js';
import type { HostProgress } from '../../state/fleet-state.js';
import { useNow } from '../clock.js';
import { COMMAND_STATUS_LABELS, percent, timeAgo, type Presence } from '../format.js';

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

const CHECKS = ['git', 'lock', 'system', 'tests'] as const;

/** Agents report free-form status words; these are the ones seen in the field, by what they mean. */
const STATUS_TONES: Record<string, 'ok' | 'warn' | 'bad'> = {
  ok: 'ok',
  current: 'ok',
  up_to_date: 'ok',
  'up-to-date': 'ok',
  passed: 'ok',
  success: 'ok',
  clean: 'ok',
  outdated: 'warn',
  behind: 'warn',
  available: 'warn',
  pending: 'warn',
  dirty: 'warn',
  stale: 'warn',
  running: 'warn',
  error: 'bad',
  failed: 'bad',
  failure: 'bad',
};

export function UpdateChips({ status }: { status: UpdateStatus | null }) {
  return (
    <span class="chips">
      {CHECKS.map((check) => {
        const entry = status?.[check] ?? null;
        const word = entry?.status ?? 'unknown';
        const tone = STATUS_TONES[word.toLowerCase()] ?? 'unknown';
        const detail = entry?.message ? `${check}: ${word} — ${entry.message}` : `${check}: ${word}`;
        return (
          <span key={check} class={`chip tone-${tone}`} title={detail} aria-label={detail}>
            {check}
          </span>
        );
      })}
    </span>
  );
}

/** The phase an operation is in: the one that says it runs, else the last one reported. */
function phaseOf(progress: HostProgress | undefined): { name: string; current: number; total: number } | null {
  const test = progress?.test;
  if (test?.total) return { name: 'tests', current: test.current ?? 0, total: test.total };
  const phases = progress?.operation ?? {};
  const reported = (['pull', 'lock', 'system', 'tests'] as const).filter((name) => phases[name]);
  const name = reported.find((n) => phases[n]?.status === 'running') ?? reported[reported.length - 1];
  const phase = name ? phases[name] : undefined;
  if (!name || !phase?.total) return null;
  return { name, current: phase.current ?? 0, total: phase.total };
}

export function CommandCell(props: { host: Host; command: Command | undefined; progress: HostProgress | undefined; onOpen: (id: string) => void }) {
  const command = props.host.running_command ?? props.command;
  if (!command) return <span class="muted">—</span>;
  const active = isActiveStatus(command.status);
  const phase = active ? phaseOf(props.progress) : null;
  return (
    <span class="command-cell">
      <button type="button" class="link" onClick={() => props.onOpen(command.id)} title="Show the output">
        {command.command}
      </button>
      <span class={`badge status-${command.status}`}>{COMMAND_STATUS_LABELS[command.status]}</span>
      {phase && (
        <span class="phase">
          <progress max={phase.total} value={phase.current} aria-label={`${phase.name} progress`} />
          <span class="muted">
            {phase.name} {phase.current}/{phase.total}
          </span>
        </span>
      )}
    </span>
  );
}
