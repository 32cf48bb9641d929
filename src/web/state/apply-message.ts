// Where a message from the dashboard takes effect: each type goes to the one store it changes.
// A versioned message that skips a version means something was missed: the state is read again.
import type { DashboardToBrowserMessage } from '../../protocol/browser.js';
import type { EventFeed } from './event-feed.js';
import type { FleetState } from './fleet-state.js';
import type { Notices } from './notices.js';
import type { OutputBook, SendToDashboard } from './output-book.js';

export interface MessageTargets {
  fleet: FleetState;
  output: OutputBook;
  events: EventFeed;
  notices: Notices;
  send: SendToDashboard;
  /** Called after each `init`: events may have been missed while the socket was down. */
  afterInit(): void;
}

export function applyMessage(targets: MessageTargets, message: DashboardToBrowserMessage): void {
  const { fleet, output, events, notices, send } = targets;
  switch (message.type) {
    case 'init':
      fleet.reset(message.payload);
      output.resume();
      targets.afterInit();
      return;
    case 'host_update':
    case 'host_removed':
    case 'command_queued':
    case 'command_update':
    case 'desired_update':
    case 'rollout_update':
      if (fleet.apply(message) === 'gap') send({ type: 'get_state', payload: {} });
      return;
    case 'command_output':
      output.receive(message.payload);
      return;
    case 'output_batch':
      for (const payload of message.payload.outputs) output.receive(payload);
      return;
    case 'operation_progress':
      fleet.setOperationProgress(message.payload.host_id, message.payload.progress);
      return;
    case 'test_progress': {
      const { host_id: hostId, ...progress } = message.payload;
      fleet.setTestProgress(hostId, progress);
      return;
    }
    case 'event':
      events.add(message.payload);
      return;
    case 'error':
      // unknown_command answers a replay of a command the dashboard no longer has; nothing to show.
      if (message.payload.code !== 'unknown_command') notices.add('error', `The dashboard says: ${message.payload.message}`);
      return;
    default:
      // Every message type has its case: a new one in the protocol fails the build here.
      message satisfies never;
  }
}
