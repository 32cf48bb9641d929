// The page: header, notices, the desired state, the fleet, the rollouts, and below them the output
// tabs and the event log. The popovers and dialogs sit at the end, in the top layer when shown.
import { useMemo } from 'preact/hooks';
import { Cell } from '../state/observable.js';
import { ActionMenu, type MenuTarget } from './actions/action-menu.js';
import { ApiTokensDialog } from './tokens/api-tokens-dialog.js';
import { ConfirmDialog } from './actions/confirm-dialog.js';
import { ConnectionIndicator } from './connection-indicator.js';
import { DesiredBanner } from './desired-banner.js';
import { CompartmentDetail, type CompartmentTarget } from './fleet/compartment-detail.js';
import { EventLog } from './events/event-log.js';
import { FleetPanel } from './fleet/fleet-panel.js';
import { HostDialogs } from './hosts/host-dialogs.js';
import { useApp } from './hooks.js';
import { NoticesView } from './notices-view.js';
import { OutputPanel } from './output/output-panel.js';
import { CancelRolloutDialog } from './rollouts/cancel-rollout-dialog.js';
import { RolloutDialog } from './rollouts/rollout-dialog.js';
import { RolloutPanel } from './rollouts/rollout-panel.js';
import { FocusTooltip } from './tooltip.js';

export function App() {
  const { csrfToken, apiTokens } = useApp();
  const menu = useMemo(() => new Cell<MenuTarget | null>(null), []);
  const compartment = useMemo(() => new Cell<CompartmentTarget | null>(null), []);
  return (
    <>
      <header class="top">
        <h1>NixFleet</h1>
        <ConnectionIndicator />
        <div class="header-actions">
          <button type="button" class="quiet" aria-haspopup="dialog" onClick={() => apiTokens.open()}>
            API tokens
          </button>
          <form method="post" action="/logout" class="logout">
            <input type="hidden" name="csrf_token" value={csrfToken} />
            <button type="submit" class="quiet">
              Log out
            </button>
          </form>
        </div>
      </header>
      <NoticesView />
      <main class="content">
        <DesiredBanner />
        <FleetPanel menu={menu} compartment={compartment} />
        <RolloutPanel />
        <div class="lower">
          <OutputPanel />
          <EventLog />
        </div>
      </main>
      <ActionMenu target={menu} />
      <CompartmentDetail target={compartment} />
      <FocusTooltip />
      <ConfirmDialog />
      <HostDialogs />
      <ApiTokensDialog />
      <RolloutDialog />
      <CancelRolloutDialog />
    </>
  );
}
