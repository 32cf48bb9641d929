// The "Add host" form: a host made ahead of its agent, with its own agent token. A hostname the
// dashboard would refuse is caught here, before any request; what the dashboard refuses anyway
// (the host exists) is said in the form, next to the field it is about.
import { useRef, useState } from 'preact/hooks';
import type { DialogRefusal, HostDialog } from '../../state/host-admin.js';
import {
  createHostBody,
  DEFAULT_THEME_COLOR,
  EMPTY_NEW_HOST,
  HOST_TEXT_MAX_CHARS,
  HOSTNAME_MAX_CHARS,
  hostnameProblem,
  type NewHostFields,
} from '../../state/new-host.js';
import { useApp } from '../hooks.js';
import { useModal } from '../modal.js';

type AddDialog = Extract<HostDialog, { kind: 'add' }>;

/** Refusals of POST /api/hosts that are about the hostname, so the field is marked too. */
const HOSTNAME_REFUSALS: ReadonlySet<string> = new Set(['host_exists', 'bad_hostname']);

/** The dashboard's sentence for an existing host names the API; the page names its own way instead. */
function refusalText(refusal: DialogRefusal): string {
  if (refusal.error === 'host_exists') {
    return 'A host with this name exists already. To give it a new agent token, choose Rotate token… in its Actions menu.';
  }
  return refusal.message;
}

/** Offered while typing the device type; any other text is taken as well. */
const DEVICE_TYPES = ['server', 'desktop', 'laptop', 'vm', 'container'];

export function AddHostDialog({ dialog }: { dialog: AddDialog | null }) {
  const { hostAdmin } = useApp();
  const ref = useModal(dialog !== null);
  return (
    <dialog ref={ref} class="modal host-form" aria-labelledby="add-host-title" onClose={() => hostAdmin.dismiss('add')}>
      {/* Mounted only while open, so every opening starts from an empty form. */}
      {dialog && <AddHostForm dialog={dialog} />}
    </dialog>
  );
}

function AddHostForm({ dialog }: { dialog: AddDialog }) {
  const { hostAdmin } = useApp();
  const [fields, setFields] = useState<NewHostFields>(EMPTY_NEW_HOST);
  const [problem, setProblem] = useState<string | null>(null);
  const hostnameRef = useRef<HTMLInputElement>(null);
  const set = (change: Partial<NewHostFields>) => setFields((previous) => ({ ...previous, ...change }));

  const submit = (event: Event) => {
    event.preventDefault();
    const found = hostnameProblem(fields.hostname);
    setProblem(found);
    if (found) {
      hostnameRef.current?.focus();
      return;
    }
    void hostAdmin.create(createHostBody(fields));
  };

  const refusal = dialog.refusal;
  const message = problem ?? (refusal && refusalText(refusal));
  const hostnameInvalid = problem !== null || (refusal !== null && HOSTNAME_REFUSALS.has(refusal.error));
  return (
    <form class="stacked" noValidate onSubmit={submit}>
      <h2 id="add-host-title">Add a host</h2>
      <p class="muted">
        The host gets its own agent token, shown once when it is made, with the agent’s settings to paste on the host.
        It registers this host only.
      </p>
      <label>
        Hostname
        <input
          ref={hostnameRef}
          type="text"
          name="hostname"
          autofocus
          required
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          maxLength={HOSTNAME_MAX_CHARS}
          aria-invalid={hostnameInvalid}
          aria-describedby="add-host-hint add-host-error"
          value={fields.hostname}
          onInput={(event) => set({ hostname: event.currentTarget.value })}
        />
      </label>
      <p id="add-host-hint" class="hint">
        The name its agent registers with: the host’s short hostname, or <code>NIXFLEET_HOSTNAME</code>.
      </p>
      <label>
        Host type
        <select value={fields.hostType} onChange={(event) => set({ hostType: event.currentTarget.value === 'macos' ? 'macos' : 'nixos' })}>
          <option value="nixos">NixOS</option>
          <option value="macos">macOS</option>
        </select>
      </label>
      <label>
        <span>
          Location <span class="muted">(optional)</span>
        </span>
        <input
          type="text"
          name="location"
          maxLength={HOST_TEXT_MAX_CHARS}
          value={fields.location}
          onInput={(event) => set({ location: event.currentTarget.value })}
        />
      </label>
      <label>
        <span>
          Device type <span class="muted">(optional)</span>
        </span>
        <input
          type="text"
          name="device_type"
          list="device-types"
          maxLength={HOST_TEXT_MAX_CHARS}
          value={fields.deviceType}
          onInput={(event) => set({ deviceType: event.currentTarget.value })}
        />
        <datalist id="device-types">
          {DEVICE_TYPES.map((type) => (
            <option key={type} value={type} />
          ))}
        </datalist>
      </label>
      <div class="color-field">
        <label class="inline">
          <input
            type="checkbox"
            checked={fields.themeColor !== null}
            onChange={(event) => set({ themeColor: event.currentTarget.checked ? DEFAULT_THEME_COLOR : null })}
          />
          Use a theme colour
        </label>
        <input
          type="color"
          aria-label="Theme colour"
          disabled={fields.themeColor === null}
          value={fields.themeColor ?? DEFAULT_THEME_COLOR}
          onInput={(event) => set({ themeColor: event.currentTarget.value })}
        />
      </div>
      <p class="hint">Location, device type and colour stay as set here unless the agent reports values of its own.</p>
      <p id="add-host-error" class="form-error" role="alert">
        {message}
      </p>
      <div class="buttons">
        <button type="button" onClick={() => hostAdmin.dismiss('add')}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={dialog.sending}>
          {dialog.sending ? 'Creating…' : 'Create host'}
        </button>
      </div>
    </form>
  );
}
