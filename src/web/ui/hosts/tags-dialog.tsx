// "Edit tags…": the admin's tags of one host, typed as a list ("web, prod"), checked here before any
// request; the tags its agent reports are shown beside them, read-only (they are set on the host).
import { useState } from 'preact/hooks';
import type { HostDialog } from '../../state/host-admin.js';
import { parseTags, tagsProblem } from '../../state/host-tags.js';
import { useApp, useObservable } from '../hooks.js';
import { useModal } from '../modal.js';

type TagsDialogState = Extract<HostDialog, { kind: 'tags' }>;

export function TagsDialog({ dialog }: { dialog: TagsDialogState | null }) {
  const { hostAdmin } = useApp();
  const ref = useModal(dialog !== null);
  return (
    <dialog ref={ref} class="modal host-form" aria-labelledby="tags-title" onClose={() => hostAdmin.dismiss('tags')}>
      {/* Mounted only while open, so every opening starts from the host's tags as they are. */}
      {dialog && <TagsForm dialog={dialog} />}
    </dialog>
  );
}

function TagsForm({ dialog }: { dialog: TagsDialogState }) {
  const { hostAdmin, fleet } = useApp();
  // The agent's tags can change while the dialog is open; they are read live.
  useObservable(fleet);
  const host = fleet.hosts.get(dialog.hostId);
  const [text, setText] = useState(() => host?.tags.join(', ') ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const agentTags = host?.agent_tags ?? [];

  const submit = (event: Event) => {
    event.preventDefault();
    const tags = parseTags(text);
    const found = tagsProblem(tags);
    setProblem(found);
    if (found === null) void hostAdmin.saveTags(tags);
  };

  const message = problem ?? dialog.refusal?.message ?? null;
  return (
    <form class="stacked" noValidate onSubmit={submit}>
      <h2 id="tags-title">Tags of {dialog.hostId}</h2>
      <p class="muted">Tags group hosts: the table filters by them and a rollout can target one.</p>
      <label>
        Tags
        <input
          type="text"
          name="tags"
          autofocus
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          aria-invalid={message !== null}
          aria-describedby="tags-hint tags-error"
          value={text}
          onInput={(event) => setText(event.currentTarget.value)}
        />
      </label>
      <p id="tags-hint" class="hint">
        Separated by commas or spaces; letters, digits, dots, dashes and underscores. Leave it empty to remove them all.
      </p>
      <div class="agent-tags">
        <span>Reported by its agent (set on the host, read-only):</span>{' '}
        {agentTags.length === 0 ? (
          <span class="muted">none</span>
        ) : (
          <ul class="tags">
            {agentTags.map((tag) => (
              <li key={tag} class="tag tag-agent">
                {tag}
              </li>
            ))}
          </ul>
        )}
      </div>
      <p id="tags-error" class="form-error" role="alert">
        {message}
      </p>
      <div class="buttons">
        <button type="button" onClick={() => hostAdmin.dismiss('tags')}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={dialog.sending}>
          {dialog.sending ? 'Saving…' : 'Save tags'}
        </button>
      </div>
    </form>
  );
}
