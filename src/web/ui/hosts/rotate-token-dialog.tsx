// Asks before a host's agent token is rotated: the old token stops working at once, and an agent
// connected with it is disconnected (close code 4004) until it is given the new one.
import type { HostDialog } from '../../state/host-admin.js';
import { useApp, useObservable } from '../hooks.js';
import { useModal } from '../modal.js';

type RotateDialog = Extract<HostDialog, { kind: 'rotate' }>;

export function RotateTokenDialog({ dialog }: { dialog: RotateDialog | null }) {
  const { hostAdmin } = useApp();
  const ref = useModal(dialog !== null);
  return (
    <dialog ref={ref} class="modal confirm" aria-labelledby="rotate-title" onClose={() => hostAdmin.dismiss('rotate')}>
      {dialog && <RotateTokenView dialog={dialog} />}
    </dialog>
  );
}

function RotateTokenView({ dialog }: { dialog: RotateDialog }) {
  const { hostAdmin, fleet } = useApp();
  // Whether the agent is connected can change while the question is open; it is read live.
  useObservable(fleet);
  const connected = fleet.hosts.get(dialog.hostId)?.connected === true;
  return (
    <div>
      <h2 id="rotate-title">Rotate the agent token of {dialog.hostId}?</h2>
      <p>A new token is made and shown once. The current token stops working at once.</p>
      <p class={connected ? 'warning' : undefined}>
        {connected
          ? `The agent of ${dialog.hostId} is connected now: it will be disconnected, and stays away until the new token is on the host.`
          : 'Its agent cannot connect until the new token is on the host.'}
      </p>
      <p class="form-error" role="alert">
        {dialog.refusal?.message}
      </p>
      <div class="buttons">
        <button type="button" autofocus onClick={() => hostAdmin.dismiss('rotate')}>
          Cancel
        </button>
        <button type="button" class="danger" disabled={dialog.sending} onClick={() => void hostAdmin.rotate()}>
          {dialog.sending ? 'Rotating…' : 'Rotate token'}
        </button>
      </div>
    </div>
  );
}
