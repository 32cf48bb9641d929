// Sending a command to a host: the checks that decide whether it may go, then the record and the frame.
import { INTERRUPT_COMMANDS, isCommandName } from '../../protocol/constants.js';
import type { CommandRecord } from '../store/store.js';
import type { Hub } from '../hub/hub.js';

export type DispatchResult =
  | { ok: true; command: CommandRecord }
  | { ok: false; httpStatus: 400 | 404 | 409; error: string; message: string };

export function dispatchCommand(hub: Hub, hostId: string, name: string, actor: string): DispatchResult {
  const { fleet, commands, events } = hub.parts;
  if (!isCommandName(name)) {
    return { ok: false, httpStatus: 400, error: 'unknown_command', message: `unknown command "${name}"` };
  }
  const host = fleet.get(hostId);
  if (!host) return { ok: false, httpStatus: 404, error: 'unknown_host', message: `no host "${hostId}"` };
  const agent = hub.agentFor(hostId);
  if (host.record.status !== 'online' || !agent) {
    const why = host.record.status === 'online' ? 'its agent is reconnecting' : 'it is offline';
    return { ok: false, httpStatus: 409, error: 'host_offline', message: `${hostId} cannot take commands: ${why}` };
  }
  const interrupt = INTERRUPT_COMMANDS.has(name);
  const running = commands.runningFor(hostId);
  if (running && !interrupt) {
    return {
      ok: false,
      httpStatus: 409,
      error: 'host_busy',
      message: `${hostId} is busy with ${running.command} (${running.id})`,
    };
  }
  const record = commands.create(hostId, name);
  events.record('info', `${actor} sent ${name} to ${hostId}`, hostId);
  agent.send({ type: 'command', payload: { command: name, command_id: record.id } });
  if (interrupt) {
    // stop is a signal, not a job: it is done once the agent has it; the command it ends reports `stopped`.
    commands.finish(record, { status: 'succeeded', exit_code: null, message: 'delivered to the agent' });
  } else {
    commands.start(record);
  }
  return { ok: true, command: record };
}

