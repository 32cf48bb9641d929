// The confirmation of a disruptive command: a modal <dialog> (focus stays inside, Escape cancels),
// naming the command and every host it will run on. Cancel has the focus, so Enter is harmless.
import { useApp, useObservable } from '../hooks.js';
import { useModal } from '../modal.js';

/** Hosts named in the dialog; beyond this it says how many more. */
const HOSTS_LISTED = 12;

export function ConfirmDialog() {
  const { runner } = useApp();
  useObservable(runner.pending);
  const pending = runner.pending.value;
  const dialogRef = useModal(pending !== null);

  const hostIds = pending?.hostIds ?? [];
  const target = hostIds.length === 1 ? hostIds[0] : `${hostIds.length} hosts`;
  return (
    <dialog ref={dialogRef} class="modal confirm" aria-labelledby="confirm-title" onClose={() => runner.cancel()}>
      {pending && (
        <div>
          <h2 id="confirm-title">
            {pending.action.label} on {target}?
          </h2>
          <p>{pending.action.disrupts}</p>
          <ul class="confirm-hosts">
            {hostIds.slice(0, HOSTS_LISTED).map((id) => (
              <li key={id}>{id}</li>
            ))}
            {hostIds.length > HOSTS_LISTED && <li>and {hostIds.length - HOSTS_LISTED} more</li>}
          </ul>
          <div class="buttons">
            <button type="button" autofocus onClick={() => runner.cancel()}>
              Cancel
            </button>
            <button type="button" class="danger" onClick={() => runner.confirm()}>
              {pending.action.label}
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}
