// One host in the fleet table. Rows are keyed by host id and memoized: a heartbeat of one host
// re-renders that host's row only, and only the cells whose text changed touch the DOM.
import { memo } from '../memo.js';
import type { Command, CompartmentName, Host } from '../../../protocol/model.js';
import type { HostProgress } from '../../state/fleet-state.js';
import type { HostCommands } from '../../state/host-commands.js';
import { presenceOf, shortGeneration, themeColor } from '../format.js';
import { AgentConflictBadge, LastSeen, Metric, PresenceBadge, SharedTokenBadge } from './cells.js';
import { CommandCell } from './command-cell.js';
import { CompartmentCells } from './compartment-cells.js';
import { HostTags } from './host-tags.js';

export interface RowHandlers {
  toggle(hostId: string): void;
  openMenu(hostId: string, anchor: HTMLElement): void;
  openCompartment(hostId: string, name: CompartmentName, anchor: HTMLElement): void;
  openOutput(commandId: string): void;
  cancelQueued(command: Command): void;
}

export interface HostRowProps {
  host: Host;
  commands: HostCommands;
  progress: HostProgress | undefined;
  selected: boolean;
  handlers: RowHandlers;
}

function HostRowView({ host, commands, progress, selected, handlers }: HostRowProps) {
  const presence = presenceOf(host);
  const color = themeColor(host.theme_color);
  return (
    <tr class={`host presence-${presence}${selected ? ' selected' : ''}`} data-host={host.id}>
      <td class="select">
        <input type="checkbox" checked={selected} onChange={() => handlers.toggle(host.id)} aria-label={`Select ${host.hostname}`} />
      </td>
      <th scope="row" class="host-name" data-label="Host">
        <span class="swatch" style={color ? { backgroundColor: color } : undefined} aria-hidden="true" />
        <span class="name" style={color ? { color } : undefined}>
          {host.hostname}
        </span>
        {host.agent_conflict && <AgentConflictBadge />}
        {host.shared_token && <SharedTokenBadge />}
        {host.location && <span class="sub">{host.location}</span>}
        <HostTags host={host} />
      </th>
      <td data-label="OS">
        <span class="os-name">{host.os_version || host.host_type}</span>
        <span class="sub">
          {host.host_type}
          {host.device_type && ` · ${host.device_type}`}
        </span>
      </td>
      <td data-label="Status">
        <PresenceBadge presence={presence} />
      </td>
      <td data-label="CPU">
        <Metric value={host.metrics?.cpu} label={`CPU of ${host.hostname}`} />
      </td>
      <td data-label="RAM">
        <Metric value={host.metrics?.ram} label={`RAM of ${host.hostname}`} />
      </td>
      <td data-label="Last seen" data-ticking="">
        <LastSeen at={host.last_seen} />
      </td>
      <td data-label="Agent">{host.agent_version || '—'}</td>
      <td data-label="Generation">
        <code title={host.generation}>{shortGeneration(host.generation) || '—'}</code>
      </td>
      <td data-label="Compartments">
        <CompartmentCells host={host} onOpen={handlers.openCompartment} />
      </td>
      <td data-label="Command">
        <CommandCell host={host} commands={commands} progress={progress} onOpen={handlers.openOutput} onCancel={handlers.cancelQueued} />
      </td>
      <td class="row-actions">
        <button
          type="button"
          class="menu-button"
          aria-haspopup="menu"
          aria-label={`Actions for ${host.hostname}`}
          onClick={(event) => handlers.openMenu(host.id, event.currentTarget)}
        >
          Actions ▾
        </button>
      </td>
    </tr>
  );
}

export const HostRow = memo(HostRowView);
