// The rollouts the page knows, newest first, one button each; the chosen one is pressed. Older
// finished ones than `init` carried are read with "Show older rollouts".
import type { Rollout } from '../../../protocol/rollout.js';
import { progressOf, progressText, rolloutTitle } from '../../state/rollout-progress.js';
import { momentText } from '../format.js';
import { useApp, useObservable } from '../hooks.js';
import { ROLLOUT_STATUS_LABELS } from './labels.js';

export function RolloutList({ list, shownId }: { list: readonly Rollout[]; shownId: string }) {
  const { rolloutRunner } = useApp();
  useObservable(rolloutRunner.older);
  const older = rolloutRunner.older.value;
  const now = Date.now();
  return (
    <nav class="rollout-list" aria-label="Rollouts, newest first">
      <ol>
        {list.map((rollout) => (
          <li key={rollout.id}>
            <button
              type="button"
              class="rollout-item"
              data-rollout={rollout.id}
              data-status={rollout.status}
              aria-pressed={rollout.id === shownId}
              onClick={() => rolloutRunner.choose(rollout.id)}
            >
              <span class="rollout-item-head">
                <span class={`badge status-${rollout.status}`}>{ROLLOUT_STATUS_LABELS[rollout.status]}</span>
                <strong>{rolloutTitle(rollout)}</strong>
                <span class="muted">on {rollout.target}</span>
              </span>
              <span class="sub">
                <time dateTime={rollout.created_at}>{momentText(rollout.created_at, now)}</time> · {progressText(progressOf(rollout))}
              </span>
            </button>
          </li>
        ))}
      </ol>
      {older === 'complete' ? (
        <p class="muted list-end">That is every rollout.</p>
      ) : (
        <button type="button" class="quiet show-older" disabled={older === 'loading'} onClick={() => void rolloutRunner.loadOlder()}>
          {older === 'loading' ? 'Reading…' : 'Show older rollouts'}
        </button>
      )}
    </nav>
  );
}
