// The command line: no arguments runs the agent; the flags answer a question and exit.
import { DEFAULT_HEARTBEAT_INTERVAL_S } from './config.js';

export type CliMode = 'run' | 'help' | 'version' | 'check';

export type CliParse = { ok: true; mode: CliMode } | { ok: false; message: string };

const FLAGS: Record<string, CliMode> = {
  '--help': 'help',
  '-h': 'help',
  '--version': 'version',
  '-V': 'version',
  '--check': 'check',
};

export function parseCli(args: readonly string[]): CliParse {
  if (args.length === 0) return { ok: true, mode: 'run' };
  const [first, ...rest] = args;
  const mode = first === undefined ? undefined : FLAGS[first];
  if (!mode) return { ok: false, message: `unknown argument "${first}" (try --help)` };
  if (rest.length > 0) return { ok: false, message: `${first} takes no further arguments` };
  return { ok: true, mode };
}

export const HELP_TEXT = `nixfleet-agent: keeps this host connected to a NixFleet dashboard and runs its commands.

Usage:
  nixfleet-agent            run (under systemd or launchd, which restart it on exit code 101)
  nixfleet-agent --check    print the resolved configuration; check the repository, the programs the
                            commands need, and that the dashboard accepts this host with this token;
                            exit 0 when all is well, else 1 with one line per problem on stderr
  nixfleet-agent --version  print the version
  nixfleet-agent --help     print this text

Configuration (environment):
  NIXFLEET_URL          dashboard WebSocket address, ws:// or wss:// (required; a bare host means /ws;
                        http:// and https:// are taken as ws:// and wss://)
  NIXFLEET_TOKEN        agent token of the dashboard (or NIXFLEET_TOKEN_FILE: a file holding it)
  NIXFLEET_REPO_URL     isolated mode: the agent keeps its own clone of this repository
  NIXFLEET_REPO_DIR     the flake repository (required without NIXFLEET_REPO_URL; the clone's place with it)
  NIXFLEET_BRANCH       branch to follow (main)
  NIXFLEET_SSH_KEY      private key for git over ssh
  NIXFLEET_INTERVAL     heartbeat interval, a duration such as 5s or 500ms; a bare number is seconds
                        (${DEFAULT_HEARTBEAT_INTERVAL_S}s)
  NIXFLEET_HOSTNAME     name of this host in the fleet (the system hostname)
  NIXFLEET_LOCATION, NIXFLEET_DEVICE_TYPE, NIXFLEET_THEME_COLOR (#rrggbb)   shown by the dashboard
  NIXFLEET_STATE_DIR    where the agent keeps its running command, run logs and what it learnt
                        (/var/lib/nixfleet-agent as root, else ~/.local/state/nixfleet-agent)
  NIXFLEET_REFRESH_INTERVAL  how often git, lock and system are checked in the background
                        (5m, jittered; 0 or off: only by the refresh commands and after commands)

Advanced: NIXFLEET_RECONNECT_MIN/MAX (1s/60s), NIXFLEET_DEAD_AFTER (45s), NIXFLEET_STOP_GRACE (5s),
NIXFLEET_OUTPUT_BUFFER (lines kept while offline, 20000), NIXFLEET_SUDO (privilege prefix; "sudo"
unless root), NIXFLEET_HOST_TYPE (nixos|macos), NIXFLEET_RESTART_AFTER_SWITCH, NIXFLEET_LOG_LEVEL.

A missing or bad setting is reported on one line that names it, with exit code 2.
`;
