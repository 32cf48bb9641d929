// Making an API token: a name (what will use it) and a scope, checked here before any request; what
// the dashboard refuses anyway is said in the form.
import type { RefObject } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiScope } from '../../../protocol/http.js';
import { API_TOKEN_SCOPES, DEFAULT_SCOPE, isScope, SCOPE_MEANINGS, TOKEN_NAME_MAX_CHARS, tokenNameProblem } from '../../state/api-token-rules.js';
import type { TokensPanel } from '../../state/api-tokens.js';
import { useApp } from '../hooks.js';

export function NewTokenForm({ panel, nameRef }: { panel: TokensPanel; nameRef: RefObject<HTMLInputElement> }) {
  const { apiTokens } = useApp();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<ApiScope>(DEFAULT_SCOPE);
  const [problem, setProblem] = useState<string | null>(null);
  const loaded = panel.list.kind === 'loaded';

  const submit = async (event: Event) => {
    event.preventDefault();
    if (panel.list.kind !== 'loaded') return;
    // What the form shows now: a choice made just before Enter may not have been drawn (and so be in
    // this render's state) yet.
    const fields = event.currentTarget instanceof HTMLFormElement ? new FormData(event.currentTarget) : null;
    const shownScope = fields?.get('scope');
    const chosenScope = typeof shownScope === 'string' && isScope(shownScope) ? shownScope : scope;
    const shownName = fields?.get('token_name');
    const trimmed = (typeof shownName === 'string' ? shownName : name).trim();
    const found = tokenNameProblem(trimmed, panel.list.tokens);
    setProblem(found);
    if (found) {
      nameRef.current?.focus();
      return;
    }
    await apiTokens.create(trimmed, chosenScope);
    // The form starts again once the dashboard made the token (unless another name was typed while
    // it did); after a refusal the name stays to fix.
    if (apiTokens.panel.value?.created?.token.name === trimmed) setName((typed) => (typed.trim() === trimmed ? '' : typed));
  };

  const message = problem ?? panel.refusal?.message ?? null;
  return (
    <form class="stacked new-token" noValidate onSubmit={(event) => void submit(event)}>
      <h3>New token</h3>
      <label>
        Name
        <input
          ref={nameRef}
          type="text"
          name="token_name"
          autofocus
          required
          autocomplete="off"
          spellcheck={false}
          maxLength={TOKEN_NAME_MAX_CHARS}
          aria-invalid={message !== null}
          aria-describedby="api-token-name-hint api-token-error"
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
        />
      </label>
      <p id="api-token-name-hint" class="hint">
        What will use it: “ci”, “backup script”. The event log names the token in what it does.
      </p>
      <label>
        Scope
        <select name="scope" aria-describedby="api-token-scope-hint" value={scope} onChange={(event) => isScope(event.currentTarget.value) && setScope(event.currentTarget.value)}>
          {API_TOKEN_SCOPES.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      </label>
      <p id="api-token-scope-hint" class="hint">
        {scope}: {SCOPE_MEANINGS[scope]}.
      </p>
      <p id="api-token-error" class="form-error" role="alert">
        {message}
      </p>
      <div class="buttons">
        <button type="submit" class="primary" disabled={!loaded || panel.creating}>
          {panel.creating ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}
