// Asks before a rollout is cancelled: nothing new starts, commands still waiting in a queue are
// withdrawn, a command that runs is left to finish (a switch is never cut in the middle).
import { rolloutTitle } from '../../state/rollout-progress.js';
import { useApp, useObservable } from '../hooks.js';
import { useModal } from '../modal.js';

export function CancelRolloutDialog() {
  const { rolloutRunner, fleet } = useApp();
  useObservable(rolloutRunner.cancelling);
  const rolloutId = rolloutRunner.cancelling.value;
  const rollout = rolloutId === null ? undefined : fleet.rollouts.get(rolloutId);
  const ref = useModal(rolloutId !== null);
  return (
    <dialog ref={ref} class="modal confirm" aria-labelledby="cancel-rollout-title" onClose={() => rolloutRunner.keepRunning()}>
      {rolloutId !== null && (
        <div>
          <h2 id="cancel-rollout-title">Cancel the rollout{rollout ? ` ${rolloutTitle(rollout)} on ${rollout.target}` : ''}?</h2>
          <p>
            No host starts any more. Steps waiting in a host’s queue are withdrawn; a step that runs now is left to finish, and the
            steps after it are cancelled. This cannot be undone.
          </p>
          <div class="buttons">
            <button type="button" autofocus onClick={() => rolloutRunner.keepRunning()}>
              Keep it running
            </button>
            <button type="button" class="danger" onClick={() => void rolloutRunner.confirmCancel()}>
              Cancel rollout
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}
