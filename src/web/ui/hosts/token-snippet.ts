// What the admin pastes on the host to give its agent a new token: the token into a root-only file
// (never readable by others, not even for a moment), and the agent's setting that names that file.
export const TOKEN_DIR = '/etc/nixfleet';
export const TOKEN_FILE_PATH = `${TOKEN_DIR}/agent-token`;

/** The token between single quotes, safe for a POSIX shell whatever it holds. */
export function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The command that prints the token, as it appears in the snippet. */
export function printToken(token: string): string {
  return `printf '%s\\n' ${shellQuoted(token)}`;
}

export function tokenSnippet(token: string): string {
  return [
    `install -d -m 700 ${TOKEN_DIR} && (umask 077 && ${printToken(token)} > ${TOKEN_FILE_PATH})`,
    `NIXFLEET_TOKEN_FILE=${TOKEN_FILE_PATH}`,
  ].join('\n');
}
