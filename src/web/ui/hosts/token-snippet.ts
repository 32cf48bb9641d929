// What the admin pastes on the host to put a new agent token there: the token goes into a file only
// the agent's user can read (never readable by others, not even for a moment). On NixOS the agent runs
// as root; on macOS it is a launchd agent of the host's user, who must own the file to read it.
import type { HostType } from '../../../protocol/model.js';

export const TOKEN_DIR = '/etc/nixfleet';
export const TOKEN_FILE_PATH = `${TOKEN_DIR}/agent-token`;

/** Words a POSIX shell reads as they are: no quoting needed. */
const PLAIN_SHELL_WORD = /^[A-Za-z0-9_./:@%+,=-]+$/;

/** The text between single quotes, safe for a POSIX shell whatever it holds. */
export function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The text as one shell word: as it is when nothing in it is special, quoted otherwise. */
export function shellWord(text: string): string {
  return PLAIN_SHELL_WORD.test(text) ? text : shellQuoted(text);
}

/** The command that prints the token, as it appears in the snippet. */
export function printToken(token: string): string {
  return `printf '%s\\n' ${shellQuoted(token)}`;
}

/** Who runs the command: the agent's user, who will read the file. */
export function tokenCommandRunAs(hostType: HostType): string {
  return hostType === 'macos' ? 'as the user the agent runs for' : 'as root';
}

/**
 * Makes the directory (mode 700; on macOS owned by the user who runs this, through sudo) and writes
 * the token under umask 077, so the file is private from the moment it exists.
 */
export function tokenFileCommand(token: string, hostType: HostType): string {
  const makeDir = hostType === 'macos' ? `sudo install -d -m 700 -o "$(id -un)" ${TOKEN_DIR}` : `install -d -m 700 ${TOKEN_DIR}`;
  return `${makeDir} && (umask 077 && ${printToken(token)} > ${TOKEN_FILE_PATH})`;
}
