// Everything a new host's agent needs, ready to paste: the token into its file, then the agent's
// settings, as the NixOS (or nix-darwin) module's options and as the environment the agent reads
// (docs/agent.md; the modules turn their options into the same variables, packaging/README.md). The
// dashboard's address is this page's, so the text is right for the dashboard the admin is looking at.
import type { HostType } from '../../../protocol/model.js';
import { shellQuoted, shellWord, TOKEN_FILE_PATH, tokenCommandRunAs, tokenFileCommand } from './token-snippet.js';

export interface AgentTarget {
  /** The dashboard's WebSocket address, `wss://…/ws` (net/dashboard-url.ts). */
  wsUrl: string;
  hostname: string;
  hostType: HostType;
}

export interface SettingsBlock {
  key: 'token-file' | 'module' | 'environment';
  title: string;
  text: string;
  /** What the block is for, under it. */
  hint: string;
  /** The copy button's label. */
  copyLabel: string;
}

/** Where the agent keeps its clone or finds the host's flake repository; one of them is required. */
const EXAMPLE_REPO_URL = 'git@github.com:example/fleet.git';
const EXAMPLE_REPO_DIR: Record<HostType, string> = { nixos: '/etc/nixos', macos: '/etc/nix-darwin' };

/** A Nix string literal: `"`, `\` and `${` are escaped, so any text stays one string. */
export function nixString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('${', '\\${')}"`;
}

/** `services.nixfleet-agent = { … };` for the host's configuration (NixOS, or nix-darwin on macOS). */
export function agentModuleSettings(target: AgentTarget): string {
  return [
    'services.nixfleet-agent = {',
    '  enable = true;',
    `  url = ${nixString(target.wsUrl)};`,
    `  tokenFile = ${nixString(TOKEN_FILE_PATH)};`,
    `  hostname = ${nixString(target.hostname)};`,
    '  # and the fleet repository, one of:',
    `  # repoUrl = ${nixString(EXAMPLE_REPO_URL)};`,
    `  # repoDir = ${nixString(EXAMPLE_REPO_DIR[target.hostType])};`,
    '};',
  ].join('\n');
}

/** The same settings as the agent's environment (`KEY=value` lines, as systemd's EnvironmentFile reads them). */
export function agentEnvironment(target: AgentTarget): string {
  return [
    `NIXFLEET_URL=${shellWord(target.wsUrl)}`,
    `NIXFLEET_TOKEN_FILE=${TOKEN_FILE_PATH}`,
    `NIXFLEET_HOSTNAME=${shellWord(target.hostname)}`,
    '# and the fleet repository, one of:',
    `# NIXFLEET_REPO_URL=${EXAMPLE_REPO_URL}`,
    `# NIXFLEET_REPO_DIR=${EXAMPLE_REPO_DIR[target.hostType]}`,
  ].join('\n');
}

/** The blocks of the dialog that shows a new agent token, in the order they are used. */
export function agentSettingsBlocks(token: string, target: AgentTarget): SettingsBlock[] {
  const macos = target.hostType === 'macos';
  return [
    {
      key: 'token-file',
      title: `1. On ${target.hostname}, ${tokenCommandRunAs(target.hostType)}: the token into its file`,
      text: tokenFileCommand(token, target.hostType),
      hint: `Writes the token into ${TOKEN_FILE_PATH}, which only the agent’s user can read.`,
      copyLabel: 'Copy command',
    },
    {
      key: 'module',
      title: macos ? '2. The agent’s settings, with the nix-darwin module' : '2. The agent’s settings, with the NixOS module',
      text: agentModuleSettings(target),
      hint: `In the host’s configuration, with this repository’s ${macos ? 'darwinModules' : 'nixosModules'}.nixfleet-agent imported. Set the fleet repository, then switch.`,
      copyLabel: 'Copy module settings',
    },
    {
      key: 'environment',
      title: macos ? 'Or without nix-darwin: the agent’s environment' : 'Or without the NixOS module: the agent’s environment',
      text: agentEnvironment(target),
      hint: macos
        ? 'The EnvironmentVariables of the launchd plist (packaging/launchd in the repository). Set the fleet repository.'
        : 'In /etc/nixfleet/agent.env, which the systemd unit in packaging/systemd reads. Set the fleet repository.',
      copyLabel: 'Copy environment',
    },
  ];
}

/** Shown in place of a token the admin fills in: quoted, so the line is still safe to paste as it is. */
export const AGENT_TOKEN_PLACEHOLDER = '<agent token>';

/**
 * The README's "try it" agent, pointed at this dashboard: run from a checkout of NixFleet after
 * `npm ci && npm run build`, with the shared agent token, following the checkout itself.
 */
export function tryAgentCommand(wsUrl: string): string {
  return [
    `NIXFLEET_URL=${shellWord(wsUrl)}`,
    `NIXFLEET_TOKEN=${shellQuoted(AGENT_TOKEN_PLACEHOLDER)}`,
    'NIXFLEET_REPO_DIR=.',
    'NIXFLEET_STATE_DIR=./data/agent',
    'node dist/agent/main.js',
  ].join(' ');
}
