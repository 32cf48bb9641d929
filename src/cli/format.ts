// Text for a terminal and a CI log: aligned columns, compartments as short words, durations, prefixes.
import { COMPARTMENT_NAMES, type Command, type Host } from '../protocol/model.js';

/** Between two columns of a table. */
const COLUMN_GAP = '  ';

/** Rows as aligned columns; the last column is not padded, so no line ends in spaces. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join(COLUMN_GAP)
        .trimEnd(),
    )
    .join('\n');
}

/** `agent:ok git:outdated lock:ok system:working tests:unknown` */
export function compartmentsText(host: Pick<Host, 'compartments'>): string {
  return COMPARTMENT_NAMES.map((name) => `${name}:${host.compartments[name].status}`).join(' ');
}

/** `1.2s`, `45s`, `3m05s`, `1h02m` */
export function durationText(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** How long a command ran, when it did. */
export function commandDuration(command: Pick<Command, 'started_at' | 'finished_at'>): string {
  if (!command.started_at || !command.finished_at) return '';
  return durationText(Date.parse(command.finished_at) - Date.parse(command.started_at));
}

/** `succeeded (exit 0, 2.1s)`, `failed (exit 1, 0.3s): merge conflict` */
export function commandOutcome(command: Command): string {
  const facts = [command.exit_code === null ? '' : `exit ${command.exit_code}`, commandDuration(command)].filter(Boolean);
  const detail = facts.length > 0 ? ` (${facts.join(', ')})` : '';
  const message = command.message ? `: ${firstLine(command.message)}` : '';
  return `${command.status}${detail}${message}`;
}

export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return text.includes('\n') ? `${line} …` : line;
}

/** `web-01 | ` with host names padded to one width, so that the lines of several hosts align. */
export function prefixer(hostIds: readonly string[]): (hostId: string) => string {
  const width = Math.max(0, ...hostIds.map((id) => id.length));
  return (hostId) => `${hostId.padEnd(width)} | `;
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** `switch 1f0c2a3b` for a host's running command, `-` for none. */
export function runningText(host: Pick<Host, 'running_command'>): string {
  const running = host.running_command;
  return running ? `${running.command} ${running.id.slice(0, 8)}` : '-';
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
