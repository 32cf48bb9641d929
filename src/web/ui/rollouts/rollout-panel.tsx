// The rollouts: a list of the recent ones (newest first; older ones on request) and the one chosen,
// live: its progress, status, the buttons that change it, and the hosts × steps grid.
import { shownRollout } from '../../state/rollout-runner.js';
import { useApp, useObservable } from '../hooks.js';
import { RolloutList } from './rollout-list.js';
import { RolloutView } from './rollout-view.js';

export function RolloutPanel() {
  const { fleet, rolloutRunner } = useApp();
  const records = fleet.rollouts;
  useObservable(records);
  useObservable(rolloutRunner.chosen);
  const list = records.list;
  const shown = shownRollout(list, rolloutRunner.chosen.value);
  return (
    <section class="rollouts panel" aria-labelledby="rollouts-title">
      <h2 id="rollouts-title">Rollouts</h2>
      {shown === undefined ? (
        <p class="empty">No rollout yet. Select hosts, or filter by a tag, and choose Rollout… to ship a change in stages.</p>
      ) : (
        <div class="rollouts-body">
          <RolloutList list={list} shownId={shown.id} />
          <RolloutView rollout={shown} />
        </div>
      )}
    </section>
  );
}
