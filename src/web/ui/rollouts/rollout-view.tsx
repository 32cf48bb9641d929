// One rollout, live: what it runs and how, its progress and status, why it ended or what it waits
// for, Pause / Resume / Cancel… while it has not ended, and its grid.
import type { Rollout } from '../../../protocol/rollout.js';
import { describeStrategy } from '../../state/rollout-plan.js';
import { allowedChanges, progressOf, progressText, rolloutTitle } from '../../state/rollout-progress.js';
import { momentText } from '../format.js';
import { useApp, useObservable } from '../hooks.js';
import { ROLLOUT_STATUS_LABELS } from './labels.js';
import { RolloutGrid } from './rollout-grid.js';

export function RolloutView({ rollout }: { rollout: Rollout }) {
  const { rolloutRunner, tabs } = useApp();
  useObservable(rolloutRunner.busy);
  const busy = rolloutRunner.busy.value.has(rollout.id);
  const allowed = allowedChanges(rollout);
  const progress = progressOf(rollout);
  const now = Date.now();
  const openOutput = (commandId: string) => {
    tabs.open(commandId);
    // The output panel is below the rollouts: bring it into view, as the click asked to see it.
    document.getElementById('output-title')?.scrollIntoView({ block: 'nearest' });
  };
  return (
    <article class="rollout" data-rollout={rollout.id} data-status={rollout.status} aria-labelledby="rollout-shown-title">
      <div class="rollout-head">
        <h3 id="rollout-shown-title">
          {rolloutTitle(rollout)} <span class="muted">on</span> {rollout.target}
        </h3>
        <span class={`badge rollout-status status-${rollout.status}`}>{ROLLOUT_STATUS_LABELS[rollout.status]}</span>
        <span class="spacer" />
        {allowed.has('pause') && (
          <button type="button" disabled={busy} onClick={() => void rolloutRunner.change(rollout.id, 'pause')}>
            Pause
          </button>
        )}
        {allowed.has('resume') && (
          <button type="button" class="primary" disabled={busy} onClick={() => void rolloutRunner.change(rollout.id, 'resume')}>
            Resume
          </button>
        )}
        {allowed.has('cancel') && (
          <button type="button" class="danger" aria-haspopup="dialog" disabled={busy} onClick={() => rolloutRunner.askCancel(rollout.id)}>
            Cancel…
          </button>
        )}
      </div>
      <p class="rollout-plan muted">
        {rollout.steps.join(' → ')} · {describeStrategy(rollout.strategy)}
      </p>
      <p class="rollout-progress" role="status" data-done={progress.done} data-total={progress.total}>
        <progress max={Math.max(progress.total, 1)} value={progress.done} aria-label="Hosts done" />
        <span class="progress-text">{progressText(progress)}</span>
      </p>
      {rollout.message && <p class="rollout-message">{rollout.message}</p>}
      <p class="rollout-times muted">
        Started by {rollout.created_by}, <time dateTime={rollout.created_at}>{momentText(rollout.created_at, now)}</time>
        {rollout.finished_at && (
          <>
            ; ended <time dateTime={rollout.finished_at}>{momentText(rollout.finished_at, now)}</time>
          </>
        )}
        .
      </p>
      <RolloutGrid rollout={rollout} onOpen={openOutput} />
    </article>
  );
}
