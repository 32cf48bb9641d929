// What an empty fleet shows: how to connect the first agent. Either the host is added here (its own
// token and the settings to paste), or an agent from a checkout is tried against this dashboard with
// the shared agent token, as the README's "Try it against a local dashboard" does.
import { useRef, useState } from 'preact/hooks';
import { copyText } from '../clipboard.js';
import { useApp } from '../hooks.js';
import { AGENT_TOKEN_PLACEHOLDER, tryAgentCommand } from '../hosts/agent-settings.js';

export function EmptyFleet() {
  const { hostAdmin, wsUrl } = useApp();
  const [copyStatus, setCopyStatus] = useState('');
  const ref = useRef<HTMLDivElement>(null);
  const command = tryAgentCommand(wsUrl);

  const copy = async () => {
    try {
      await copyText(command, ref.current ?? undefined);
      setCopyStatus('Command copied.');
    } catch (error) {
      setCopyStatus(`Could not copy: ${String(error)}`);
    }
  };

  return (
    <div ref={ref} class="empty-fleet" role="region" aria-labelledby="empty-fleet-title">
      <h3 id="empty-fleet-title">No host has connected yet</h3>
      <p>
        To connect the first one, add it here: it gets its own agent token and the settings to paste on the host (the
        NixOS module’s options, or the agent’s environment).{' '}
        <button type="button" class="primary" aria-haspopup="dialog" onClick={() => hostAdmin.openAdd()}>
          Add the first host
        </button>
      </p>
      <p>
        Or try an agent from a checkout of NixFleet (after <code>npm ci && npm run build</code>), with the agent token
        this dashboard printed when it first started (or its <code>NIXFLEET_AGENT_TOKEN</code>) in place of{' '}
        <code>{AGENT_TOKEN_PLACEHOLDER}</code>:
      </p>
      <pre class="snippet try-agent">
        <code>{command}</code>
      </pre>
      <p class="empty-fleet-foot">
        <button type="button" onClick={() => void copy()}>
          Copy command
        </button>{' '}
        <span class="copy-status" role="status">
          {copyStatus}
        </span>
      </p>
      <p class="hint">
        The README (“Install it on a host”) and docs/agent.md in the repository say how to run the agent as a service.
      </p>
    </div>
  );
}
