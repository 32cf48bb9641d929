// A host's command cell: the command that runs or ran last (a stopped one as stopped, never the
// `stop` that ended it) with its status and progress, and below it the commands queued for the host,
// each with its expiry and a way to cancel it.
import type { Command, Host } from '../../../protocol/model.js';
import { isActiveStatus } from '../../../protocol/constants.js';
import type { HostProgress } from '../../state/fleet-state.js';
import { commandShown, type HostCommands } from '../../state/host-commands.js';
import { useNow } from '../clock.js';
import { COMMAND_STATUS_LABELS, timeUntil } from '../format.js';

export interface CommandCellProps {
  host: Host;
  commands: HostCommands;
  progress: HostProgress | undefined;
  onOpen(commandId: string): void;
  onCancel(command: Command): void;
}

export function CommandCell({ host, commands, progress, onOpen, onCancel }: CommandCellProps) {
  const command = commandShown(host.running_command, commands.latest);
  if (!command && commands.queued.length === 0) return <span class="muted">—</span>;
  const phase = command && isActiveStatus(command.status) ? phaseOf(progress) : null;
  return (
    <span class="command-cell">
      {command && (
        <span class="command-shown" data-command={command.id}>
          <button type="button" class="link" onClick={() => onOpen(command.id)} title="Show the output">
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
      )}
      {commands.queued.length > 0 && <QueuedCommands queued={commands.queued} onOpen={onOpen} onCancel={onCancel} />}
    </span>
  );
}

function QueuedCommands({ queued, onOpen, onCancel }: { queued: readonly Command[]; onOpen(id: string): void; onCancel(command: Command): void }) {
  const now = useNow();
  return (
    <ul class="queued" aria-label="Queued commands" data-ticking="">
      {queued.map((command) => (
        <li key={command.id} class="queued-command" data-command={command.id}>
          <button type="button" class="link" onClick={() => onOpen(command.id)} title="Show the output once it runs">
            {command.command}
          </button>
          <span class="badge status-queued">{COMMAND_STATUS_LABELS.queued}</span>
          {command.expires_at && (
            <time class="expiry muted" dateTime={command.expires_at} title={new Date(command.expires_at).toLocaleString()}>
              expires {timeUntil(command.expires_at, now)}
            </time>
          )}
          <button type="button" class="quiet cancel" aria-label={`Cancel ${command.command} queued for ${command.host_id}`} onClick={() => onCancel(command)}>
            Cancel
          </button>
        </li>
      ))}
    </ul>
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
