// Everything the page knows and can do, built once at start and wired in the order data flows:
// socket → applyMessage → stores → components.
import { DashboardApi } from '../net/api.js';
import { askingForOutputBatches, dashboardWsUrl } from '../net/dashboard-url.js';
import { DashboardSocket } from '../net/socket.js';
import { ApiTokenAdmin } from './api-tokens.js';
import { applyMessage } from './apply-message.js';
import { CommandRunner } from './command-runner.js';
import { EventFeed } from './event-feed.js';
import { FleetState } from './fleet-state.js';
import { HostAdmin } from './host-admin.js';
import { Notices } from './notices.js';
import { OutputBook } from './output-book.js';
import { OutputTabs } from './output-tabs.js';
import { RolloutRunner } from './rollout-runner.js';

/** Events read over HTTP after each (re)connect; live ones follow on the socket. */
export const EVENTS_ON_CONNECT = 100;

export interface AppState {
  csrfToken: string;
  /** This dashboard's WebSocket address as the page reached it: where agents are told to connect. */
  wsUrl: string;
  api: DashboardApi;
  socket: DashboardSocket;
  fleet: FleetState;
  output: OutputBook;
  tabs: OutputTabs;
  events: EventFeed;
  notices: Notices;
  runner: CommandRunner;
  hostAdmin: HostAdmin;
  apiTokens: ApiTokenAdmin;
  rolloutRunner: RolloutRunner;
}

export function createAppState(csrfToken: string, location: Location, storage: Storage | null): AppState {
  const goToLogin = () => location.assign('/login');
  const api = new DashboardApi(csrfToken, goToLogin);
  const fleet = new FleetState();
  const events = new EventFeed();
  const notices = new Notices();
  const wsUrl = dashboardWsUrl(location);
  // The page's own socket takes the live output of several commands in one message.
  const socket = new DashboardSocket(askingForOutputBatches(wsUrl), {
    onMessage: (message) => applyMessage(targets, message),
    onSessionEnded: goToLogin,
    sessionAlive: () => api.sessionAlive(),
  });
  const send = socket.send.bind(socket);
  const output = new OutputBook(send);
  const targets = {
    fleet,
    output,
    events,
    notices,
    send,
    afterInit: () => {
      api.recentEvents(EVENTS_ON_CONNECT).then(
        (recent) => events.merge(recent),
        (error: unknown) => notices.add('error', `Could not read the event log: ${String(error)}`),
      );
    },
  };
  socket.state.subscribe(() => {
    if (socket.state.value.kind !== 'open') output.connectionLost();
  });
  const tabs = new OutputTabs(output, storage);
  const runner = new CommandRunner(api, tabs, notices);
  const hostAdmin = new HostAdmin(api, notices);
  const apiTokens = new ApiTokenAdmin(api, notices);
  const rolloutRunner = new RolloutRunner(api, fleet.rollouts, notices);
  return { csrfToken, wsUrl, api, socket, fleet, output, tabs, events, notices, runner, hostAdmin, apiTokens, rolloutRunner };
}
