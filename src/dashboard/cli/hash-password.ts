// `nixfleet-dashboard hash-password`: the hash NIXFLEET_PASSWORD_HASH takes, made by the same code
// that verifies it at login (argon2id; bcrypt hashes of the Go dashboard verify too).
import type { ReadStream } from 'node:tty';
import { hashPassword } from '../auth/passwords.js';
import { askNewPassword, readPasswordFromPipe } from './password-input.js';

/** Reads the password (a prompt on a terminal, else stdin) and writes its hash, one line, to stdout. */
export async function runHashPassword(): Promise<void> {
  const stdin = process.stdin;
  // Prompts go to stderr: `HASH=$(nixfleet-dashboard hash-password)` captures the hash alone.
  const password = stdin.isTTY ? await askNewPassword(stdin as ReadStream, process.stderr) : await readPasswordFromPipe(stdin);
  process.stdout.write(`${await hashPassword(password)}\n`);
}
