// Where this dashboard's WebSocket is, as the page reached the dashboard: the page connects there
// (asking for output batches), and an agent is told to connect there too. Behind https the socket is
// wss://; on plain http, ws://.
import { OUTPUT_BATCH_QUERY } from '../../protocol/constants.js';

/** The WebSocket path, for browsers and agents alike (docs/protocol.md). */
export const WS_PATH = '/ws';

/** `location` is the page's (window.location): its scheme (`https:`) and host with port. */
export function dashboardWsUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WS_PATH}`;
}

/** A browser socket's address (a /ws address without a query) asking for output batches. */
export function askingForOutputBatches(wsUrl: string): string {
  return `${wsUrl}?${OUTPUT_BATCH_QUERY.name}=${OUTPUT_BATCH_QUERY.value}`;
}
