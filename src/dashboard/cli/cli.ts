// The command line: no arguments serves the dashboard; a flag answers a question and exits; the
// subcommands make a password hash for NIXFLEET_PASSWORD_HASH and move a data dir to PostgreSQL.
export type CliMode = 'serve' | 'help' | 'version' | 'hash-password' | 'hash-password-help' | 'migrate-to-postgres';

export type CliParse = { ok: true; mode: CliMode } | { ok: false; message: string };

/** Exit codes, for the service manager (systemd's RestartPreventExitStatus) and for scripts. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
/** A bad setting, argument or input: retrying cannot help. */
export const EXIT_USAGE = 2;
/** Another dashboard has the data directory: it may be over once that one stops. */
export const EXIT_DATA_DIR_IN_USE = 3;
/** Ctrl-C at a prompt (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

const FLAGS: Record<string, CliMode> = {
  '--help': 'help',
  '-h': 'help',
  '--version': 'version',
  '-V': 'version',
  'hash-password': 'hash-password',
  'migrate-to-postgres': 'migrate-to-postgres',
};

export function parseCli(args: readonly string[]): CliParse {
  const [first, ...rest] = args;
  if (first === undefined) return { ok: true, mode: 'serve' };
  const mode = FLAGS[first];
  if (!mode) return { ok: false, message: `unknown argument "${first}" (try --help)` };
  if (mode === 'hash-password') {
    if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) return { ok: true, mode: 'hash-password-help' };
    // Not echoed: what follows may well be the password, which has no place in argv (ps, shell history).
    if (rest.length > 0) return { ok: false, message: 'hash-password takes no arguments: it reads the password from stdin, or asks for it' };
    return { ok: true, mode };
  }
  if (rest.length > 0) return { ok: false, message: `${first} takes no further arguments` };
  return { ok: true, mode };
}

export const HASH_PASSWORD_HELP = `nixfleet-dashboard hash-password: prints an argon2id hash of a password for NIXFLEET_PASSWORD_HASH.

Usage:
  nixfleet-dashboard hash-password                    asks for the password twice, without echo
  printf %s "$PASSWORD" | nixfleet-dashboard hash-password   reads it from stdin (one trailing newline is dropped)

The password is never taken from the command line. Only the hash goes to stdout; put it in single
quotes in a shell or an env file ('$argon2id$v=19$...'), since it contains "$".
`;

export const HELP_TEXT = `nixfleet-dashboard: the NixFleet web dashboard and the hub its agents connect to.

Usage:
  nixfleet-dashboard                 serve (settings from the environment)
  nixfleet-dashboard hash-password   print a password hash for NIXFLEET_PASSWORD_HASH (--help for more)
  nixfleet-dashboard migrate-to-postgres
                                     copy the data dir's SQLite database into NIXFLEET_DATABASE_URL
                                     (the dashboard stopped; see OPERATIONS.md)
  nixfleet-dashboard --version       print the version
  nixfleet-dashboard --help          print this text

Main settings (environment; every one is in the README, "Dashboard configuration"):
  NIXFLEET_LISTEN           address and port (:8000). Anything but loopback without a TLS proxy in
                            front is warned about at start: see SECURITY.md, "Deploying behind a TLS proxy"
  NIXFLEET_DATA_DIR         database and generated secrets (./data); one dashboard per directory
  NIXFLEET_PASSWORD_HASH    bcrypt or argon2id hash of the admin password (see hash-password);
                            unset on the first start: a password is generated and printed once
  NIXFLEET_AGENT_TOKEN      shared agent token; unset on the first start: generated and printed once
  NIXFLEET_TRUSTED_PROXIES  addresses of the TLS proxy in front, whose X-Forwarded-* are believed
  NIXFLEET_ALLOWED_ORIGINS  other origins whose pages may use the admin's session
  NIXFLEET_REPO_URL         the fleet repository every host should run
  NIXFLEET_LOG_LEVEL        info

Exit codes: 0 stopped, 1 failed, 2 bad setting or argument (one line names it), 3 the data directory
is in use by another dashboard.
`;
