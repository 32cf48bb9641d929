// Asks before a host is removed. The dashboard refuses while the host's agent is connected
// (409 host_connected); the dialog then says so and offers "Remove anyway", which disconnects it.
import { useLayoutEffect, useRef } from 'preact/hooks';
import { HOST_CONNECTED, type HostDialog } from '../../state/host-admin.js';
import { useApp } from '../hooks.js';
import { useModal } from '../modal.js';

type RemoveDialog = Extract<HostDialog, { kind: 'remove' }>;

export function RemoveHostDialog({ dialog }: { dialog: RemoveDialog | null }) {
  const { hostAdmin } = useApp();
  const ref = useModal(dialog !== null);
  return (
    <dialog ref={ref} class="modal confirm" aria-labelledby="remove-title" onClose={() => hostAdmin.dismiss('remove')}>
      {dialog && <RemoveHostView dialog={dialog} />}
    </dialog>
  );
}

function RemoveHostView({ dialog }: { dialog: RemoveDialog }) {
  const { hostAdmin } = useApp();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const connected = dialog.refusal?.error === HOST_CONNECTED;
  // The button under the pointer changes meaning; the focus goes to Cancel so that a second click or
  // Enter cannot force the removal before the reason was read.
  useLayoutEffect(() => {
    if (connected) cancelRef.current?.focus();
  }, [connected]);

  return (
    <div>
      <h2 id="remove-title">Remove {dialog.hostId}?</h2>
      <p>
        {dialog.hostId} leaves the fleet and its agent token stops working. A command it is running is marked
        lost.
      </p>
      <p class="form-error" role="alert">
        {connected
          ? `The dashboard refused: the agent of ${dialog.hostId} is connected. Removing it anyway disconnects the agent.`
          : dialog.refusal?.message}
      </p>
      <div class="buttons">
        <button ref={cancelRef} type="button" autofocus onClick={() => hostAdmin.dismiss('remove')}>
          Cancel
        </button>
        {connected ? (
          <button key="force" type="button" class="danger" disabled={dialog.sending} onClick={() => void hostAdmin.remove(true)}>
            {dialog.sending ? 'Removing…' : 'Remove anyway'}
          </button>
        ) : (
          <button key="ask" type="button" class="danger" disabled={dialog.sending} onClick={() => void hostAdmin.remove(false)}>
            {dialog.sending ? 'Removing…' : 'Remove host'}
          </button>
        )}
      </div>
    </div>
  );
}
