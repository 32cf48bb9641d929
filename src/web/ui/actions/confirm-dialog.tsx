// The admin's answer before a command goes out: a disruptive command is confirmed, naming the
// command and every host it will run on; a command the hosts cannot take now (offline, busy) may be
// queued for them, with the dashboard's reason for each. A modal <dialog> (focus stays inside, Escape
// says no); the harmless answer has the focus, so Enter does nothing rash.
import type { PendingAction } from '../../state/command-runner.js';
import { useApp, useObservable } from '../hooks.js';
import { useRef } from 'preact/hooks';
import { useModal } from '../modal.js';

/** Hosts named in the dialog; beyond this it says how many more. */
const HOSTS_LISTED = 12;

export function ConfirmDialog() {
  const { runner } = useApp();
  useObservable(runner.pending);
  const pending = runner.pending.value;
  const dialogRef = useModal(pending !== null);
  // `close` comes in a later task. By then the next question may be pending (a confirmed command the
  // host refused, offered the queue) though not drawn yet: only the question on screen is dismissed.
  const shown = useRef<PendingAction | null>(null);
  shown.current = pending;
  const closed = () => {
    if (runner.pending.value === shown.current) runner.cancel();
  };

  return (
    <dialog ref={dialogRef} class="modal confirm" aria-labelledby="confirm-title" onClose={closed}>
      {pending?.kind === 'confirm' && (
        <div>
          <h2 id="confirm-title">
            {pending.action.label} on {target(pending)}?
          </h2>
          <p>{pending.action.disrupts}</p>
          <Listed items={pending.hostIds} kind="hosts" />
          <div class="buttons">
            <button type="button" autofocus onClick={() => runner.cancel()}>
              Cancel
            </button>
            <button type="button" class="danger" onClick={() => runner.confirm(pending)}>
              {pending.action.label}
            </button>
          </div>
        </div>
      )}
      {pending?.kind === 'queue' && (
        <div>
          <h2 id="confirm-title">
            Queue {pending.action.label} for {target(pending)}?
          </h2>
          <p>It cannot run now:</p>
          <Listed items={pending.reasons} kind="reasons" />
          <p>
            Queued, it runs as soon as the host is online and idle. If the host does not take it in time, it expires; until
            then it can be cancelled from the host’s row.
          </p>
          <div class="buttons">
            <button type="button" autofocus onClick={() => runner.cancel()}>
              Don’t queue
            </button>
            <button type="button" class="primary" onClick={() => runner.confirm(pending)}>
              Queue
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}

function target(pending: PendingAction): string {
  const { hostIds } = pending;
  return hostIds.length === 1 ? (hostIds[0] ?? '') : `${hostIds.length} hosts`;
}

/** The hosts a command goes to (hostnames, in mono), or the dashboard's reasons (sentences). */
function Listed({ items, kind }: { items: readonly string[]; kind: 'hosts' | 'reasons' }) {
  return (
    <ul class={`confirm-${kind}`}>
      {items.slice(0, HOSTS_LISTED).map((item, i) => (
        <li key={i}>{item}</li>
      ))}
      {items.length > HOSTS_LISTED && <li>and {items.length - HOSTS_LISTED} more</li>}
    </ul>
  );
}
