// Whether what the page shows is live: connected and in step, reading the state, or waiting to
// reconnect (with the reason, a countdown, and a way to retry at once).
import { useApp, useObservable } from './hooks.js';
import { useNow } from './clock.js';
import type { ConnectionState } from '../net/socket.js';

type Shown = 'live' | 'syncing' | 'connecting' | 'reconnecting' | 'ended';

function shownState(connection: ConnectionState, hasState: boolean): Shown {
  if (connection.kind === 'open') return hasState ? 'live' : 'syncing';
  if (connection.kind === 'waiting') return 'reconnecting';
  return connection.kind;
}

/** What a screen reader announces: the state only, not the countdown that changes every second. */
const SPOKEN: Record<Shown, string> = {
  live: 'Live',
  syncing: 'Reading state…',
  connecting: 'Connecting…',
  reconnecting: 'Disconnected, reconnecting',
  ended: 'Signed out',
};

export function ConnectionIndicator() {
  const { socket, fleet } = useApp();
  useObservable(socket.state);
  useObservable(fleet);
  const connection = socket.state.value;
  const shown = shownState(connection, fleet.hasState);
  return (
    <span class={`connection connection-${shown}`} data-state={shown}>
      <span class="connection-dot" aria-hidden="true" />
      <span class="visually-hidden" role="status">
        {SPOKEN[shown]}
      </span>
      {connection.kind === 'waiting' ? (
        <>
          <Countdown retryAt={connection.retryAt} reason={connection.reason} />
          <button type="button" class="quiet" onClick={() => socket.retryNow()}>
            Retry now
          </button>
        </>
      ) : (
        <span aria-hidden="true">{SPOKEN[shown]}</span>
      )}
    </span>
  );
}

function Countdown({ retryAt, reason }: { retryAt: number; reason: string }) {
  const now = useNow();
  const seconds = Math.max(0, Math.ceil((retryAt - now) / 1000));
  return (
    <span aria-hidden="true">
      Disconnected: {reason}. Retrying in {seconds} s
    </span>
  );
}
