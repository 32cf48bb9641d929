// The page: header, notices, the fleet, and below it the output tabs and the event log.
import { useMemo } from 'preact/hooks';
import { Cell } from '../state/observable.js';
import { ActionMenu, type MenuTarget } from './actions/action-menu.js';
import { ConfirmDialog } from './actions/confirm-dialog.js';
import { ConnectionIndicator } from './connection-indicator.js';
import { EventLog } from './events/event-log.js';
import { FleetPanel } from './fleet/fleet-panel.js';
import { HostDialogs } from './hosts/host-dialogs.js';
import { useApp } from './hooks.js';
import { NoticesView } from './notices-view.js';
import { OutputPanel } from './output/output-panel.js';

export function App() {
  const { csrfToken } = useApp();
  const menu = useMemo(() => new Cell<MenuTarget | null>(null), []);
  return (
    <>
      <header class="top">
        <h1>NixFleet</h1>
        <ConnectionIndicator />
        <form method="post" action="/logout" class="logout">
          <input type="hidden" name="csrf_token" value={csrfToken} />
          <button type="submit" class="quiet">
            Log out
          </button>
        </form>
      </header>
      <NoticesView />
      <main class="content">
        <FleetPanel menu={menu} />
        <div class="lower">
          <OutputPanel />
          <EventLog />
        </div>
      </main>
      <ActionMenu target={menu} />
      <ConfirmDialog />
      <HostDialogs />
    </>
  );
}
