// Reading a password from a person or a pipe, never from argv: from a terminal, asked for twice with
// the echo off; from anything else, all of stdin without its trailing newline.
import type { ReadStream } from 'node:tty';

export class PasswordInputError extends Error {
  constructor(
    readonly code: 'empty' | 'mismatch' | 'interrupted',
    message: string,
  ) {
    super(message);
  }
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = '\u0008';
const DELETE = '\u007f';
const ESCAPE = '\u001b';

/** All of stdin, less one trailing newline (`echo` adds it; `printf %s` does not). */
export async function readPasswordFromPipe(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new PasswordInputError('empty', 'no password on stdin');
  return password;
}

/**
 * Asks each prompt in turn on `output` and reads one line per prompt from the terminal in raw mode:
 * nothing typed is echoed. Raw mode is on before the first prompt shows, so nothing typed after it
 * reaches the terminal's own echo. Typed-ahead lines are kept for the next prompt.
 */
export function askHidden(input: ReadStream, output: NodeJS.WritableStream, prompts: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const answers: string[] = [];
    let line = '';
    const finish = (error: PasswordInputError | null) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      if (error) reject(error);
      else resolve(answers);
    };
    const onData = (chunk: Buffer | string) => {
      const text = chunk.toString();
      // An escape sequence (an arrow or function key) is not part of a password.
      if (text.startsWith(ESCAPE)) return;
      for (const char of text) {
        if (char === CTRL_C || (char === CTRL_D && line === '')) {
          output.write('\n');
          return finish(new PasswordInputError('interrupted', 'interrupted'));
        }
        if (char === '\r' || char === '\n') {
          output.write('\n');
          answers.push(line);
          line = '';
          const next = prompts[answers.length];
          if (next === undefined) return finish(null);
          output.write(next);
        } else if (char === DELETE || char === BACKSPACE) {
          line = [...line].slice(0, -1).join('');
        } else if (char >= ' ') {
          line += char;
        }
      }
    };
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
    output.write(prompts[0] ?? '');
  });
}

/** The password typed twice at the terminal; refused when empty or when the two differ. */
export async function askNewPassword(input: ReadStream, output: NodeJS.WritableStream): Promise<string> {
  const [password, repeated] = await askHidden(input, output, ['New admin password: ', 'Repeat it: ']);
  if (!password) throw new PasswordInputError('empty', 'the password is empty');
  if (password !== repeated) throw new PasswordInputError('mismatch', 'the two passwords differ');
  return password;
}
