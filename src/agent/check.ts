// --check: what the agent would run with, and whether the dashboard is there and takes the token.
import WebSocket from 'ws';
import { CloseCode } from '../protocol/constants.js';
import { describeConfig, type AgentConfig } from './config.js';
import { RepoFacts } from './host/repo-facts.js';
import { AGENT_VERSION } from './version.js';

const CHECK_TIMEOUT_MS = 10_000;
const HTTP_UNAUTHORIZED = 401;

type Probe = { ok: true } | { ok: false; why: string };

function probe(config: AgentConfig): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = new WebSocket(config.url, {
      headers: { authorization: `Bearer ${config.token}`, 'user-agent': `nixfleet-agent/${AGENT_VERSION} (check)` },
      handshakeTimeout: CHECK_TIMEOUT_MS,
    });
    socket.once('open', () => {
      socket.close(CloseCode.normal, 'check done');
      resolve({ ok: true });
    });
    socket.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      socket.terminate();
      resolve({ ok: false, why: status === HTTP_UNAUTHORIZED ? `reachable, but it refused the token (HTTP ${status})` : `reachable, but it answered HTTP ${status}` });
    });
    socket.once('error', (err) => resolve({ ok: false, why: `unreachable: ${err.message}` }));
  });
}

/** Prints the report with `print`; returns the exit code: 0 when the dashboard accepts the token. */
export async function runCheck(config: AgentConfig, print: (line: string) => void): Promise<number> {
  print(`nixfleet-agent ${AGENT_VERSION}`);
  for (const [key, value] of Object.entries(describeConfig(config))) print(`  ${key}: ${JSON.stringify(value)}`);
  const generation = new RepoFacts(config.repoDir).generation();
  print(`repository: ${generation ? `${config.repoDir} at ${generation}` : `${config.repoDir} has no commit yet${config.repoUrl ? ' (the first pull clones it)' : ''}`}`);
  const result = await probe(config);
  print(result.ok ? `dashboard: ${config.url} is reachable and accepts the token` : `dashboard: ${config.url} ${result.why}`);
  return result.ok ? 0 : 1;
}
