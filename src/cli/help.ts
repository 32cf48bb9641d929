// What `--help` prints, for the command and each subcommand (docs/cli.md says the same at length).

const CONNECTION = `Connection (every subcommand):
  NIXFLEET_URL          the dashboard's address: https://fleet.example.org (wss://…/ws works too)
  NIXFLEET_API_TOKEN    an API token (nfx_…), made in the dashboard under API tokens
  --url URL             instead of NIXFLEET_URL
  --token-file FILE     read the token from FILE instead of NIXFLEET_API_TOKEN`;

const EXIT_CODES = `Exit codes: 0 done, 1 a host or rollout failed or the dashboard refused the request,
2 bad argument or missing setting, 3 token refused (401) or scope too small (403),
4 dashboard unreachable or failing.`;

export const MAIN_HELP = `nixfleet: runs commands and rollouts on a NixFleet fleet from a terminal or CI.

Usage:
  nixfleet hosts [--json] [--tag TAG]          the hosts, their state and compartments
  nixfleet run COMMAND TARGET [--follow]       run a command (switch, pull, test, …) on hosts
  nixfleet output COMMAND_ID [--follow]        a command's output
  nixfleet cancel COMMAND_ID …                 withdraw commands still waiting in a queue
  nixfleet status [--json]                     the dashboard's health, the desired state, the fleet
  nixfleet rollout start|list|show|pause|resume|cancel …
                                               staged deploys over many hosts
  nixfleet --version                           print the version
  nixfleet SUBCOMMAND --help                   more about one subcommand

${CONNECTION}

Example, deploying from CI:
  NIXFLEET_URL=https://fleet.example.org NIXFLEET_API_TOKEN=nfx_… nixfleet run switch --host web-01 --follow

${EXIT_CODES}`;

export const HOSTS_HELP = `nixfleet hosts: the hosts of the fleet.

Usage:
  nixfleet hosts [--tag TAG] [--json]

  --tag TAG   only hosts with this tag (set by the admin or reported by the agent)
  --json      the hosts as the dashboard's JSON array (GET /api/hosts), for scripts

The table shows each host's id, status, whether its agent is connected, the agent version, the five
compartments (agent, git, lock, system, tests: ok, outdated, error, working or unknown) and the
command it runs. Needs a token with the read scope.

${CONNECTION}`;

export const RUN_HELP = `nixfleet run: runs a command on one or more hosts.

Usage:
  nixfleet run COMMAND (--host HOST … | --tag TAG | --all) [--follow] [--queue]

  COMMAND      pull, switch, pull-switch, test, rollback, update, stop, restart, reboot, refresh-git,
               refresh-lock, refresh-system, refresh-all, check-version, force-update
  --host HOST  a host; repeat for more
  --tag TAG    every host with this tag
  --all        every host
  --follow     stream each command's output, prefixed "host | ", until all have ended; then one
               summary line per host. Exit 1 when any host did not succeed or was not sent to
  --queue      a host that is offline or busy gets the command later instead of refusing it

Without --follow, prints "host command-id" for each host and exits 0 when every host accepted the
command (nixfleet output COMMAND_ID shows its output later). Needs a token with the operate scope.

Example: nixfleet run switch --host web-01 --follow

${CONNECTION}`;

export const OUTPUT_HELP = `nixfleet output: a command's output.

Usage:
  nixfleet output COMMAND_ID [--follow]

  --follow   keep printing new lines until the command ends; exit 1 unless it succeeded

Without --follow, prints the output stored so far and exits 0. Needs a token with the read scope.

${CONNECTION}`;

export const CANCEL_HELP = `nixfleet cancel: withdraws commands that still wait in their hosts' queues.

Usage:
  nixfleet cancel COMMAND_ID …

Each one named is cancelled if it is still queued (one sent with run --queue, or a rollout's step that
waits: its host then leaves the rollout). A command that runs is stopped with nixfleet run stop; one
that ended stays as it ended. Exit 1 when one of them could not be cancelled. Needs a token with the
operate scope.

${CONNECTION}`;

export const STATUS_HELP = `nixfleet status: the dashboard's health, what the fleet should run, and where the hosts stand.

Usage:
  nixfleet status [--json]

Hosts are counted by standing, as in the web summary: failing (a compartment is error), behind (one is
outdated), working (a command changes one), current (git is ok and none of those), unknown; offline
hosts are counted apart as well. Exits 1 when the dashboard reports itself unhealthy. Needs a token
with the read scope.

${CONNECTION}`;

export const ROLLOUT_HELP = `nixfleet rollout: staged deploys over many hosts (docs/rollouts.md).

Usage:
  nixfleet rollout start TARGET STEPS [STRATEGY] [--follow]
  nixfleet rollout list [--json]
  nixfleet rollout show ROLLOUT_ID [--json] [--follow]
  nixfleet rollout pause|resume|cancel ROLLOUT_ID

nixfleet rollout start --help tells the options. list and show need the read scope; start, pause,
resume and cancel the operate scope.

${CONNECTION}`;

export const ROLLOUT_START_HELP = `nixfleet rollout start: starts a rollout.

Usage:
  nixfleet rollout start (--host HOST … | --tag TAG | --behind) (--preset NAME | --steps a,b,…)
                         [--canary N] [--batch-size N] [--max-failures N] [--rollback]
                         [--offline skip|wait] [--follow] [--json]

Target (the hosts matching every criterion given, frozen at the start):
  --host HOST         a host; repeat for more
  --tag TAG           every host with this tag
  --behind            every host whose git compartment is outdated
Steps:
  --preset NAME       deploy (pull, switch, test), update-agent (pull, switch, restart), refresh (refresh-all)
  --steps a,b,…       the commands in order (any command but stop)
Strategy:
  --canary N          the first N hosts of the target go first, alone (or a list: --canary web-01,web-02)
  --batch-size N      hosts in flight at once after the canaries (5)
  --max-failures N    failed hosts tolerated; one more halts the rollout (0)
  --rollback          roll back a host whose switch or test failed
  --offline skip|wait a host offline at its turn is skipped, or waits in the queue (skip)
Output:
  --follow            print each step as it starts and ends until the rollout is over; exit 1 unless
                      it succeeded
  --json              print the rollout record as JSON (without --follow)

Needs a token with the operate scope.

${CONNECTION}`;

export const ROLLOUT_LIST_HELP = `nixfleet rollout list: the recent rollouts, newest first.

Usage:
  nixfleet rollout list [--limit N] [--json]

  --limit N   at most N rollouts (50)
  --json      the rollout records as JSON

${CONNECTION}`;

export const ROLLOUT_SHOW_HELP = `nixfleet rollout show: one rollout, host by host and step by step.

Usage:
  nixfleet rollout show ROLLOUT_ID [--json] [--follow]

  --json      the rollout record as JSON
  --follow    keep printing its progress until it is over; exit 1 unless it succeeded

Each step that was sent names its command id: nixfleet output COMMAND_ID shows its output.

${CONNECTION}`;

export const rolloutChangeHelp = (action: 'pause' | 'resume' | 'cancel'): string => {
  const what = {
    pause: 'pauses a running rollout: no new host starts; the hosts in flight finish their steps',
    resume: 'resumes a paused rollout',
    cancel: 'cancels a rollout: nothing new starts, queued steps are withdrawn, a running command finishes',
  }[action];
  return `nixfleet rollout ${action}: ${what}.

Usage:
  nixfleet rollout ${action} ROLLOUT_ID

Needs a token with the operate scope.

${CONNECTION}`;
};
