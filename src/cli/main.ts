#!/usr/bin/env node
// nixfleet: the command line for terminals and CI (docs/cli.md). What it does is cli.ts; this file
// connects it to the process.
import type { CliIo } from './args.js';
import { nixfleet } from './cli.js';

// Every text ends with a newline of its own: one that ends in a newline already ends in an empty line
// (a command's output may, and `nixfleet output` prints every line).
const io: CliIo = {
  env: process.env,
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

/** Exits once stdout and stderr have taken everything written (a pipe may still be draining). */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

// `nixfleet hosts | head -1`: a reader that has had enough is no failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

void nixfleet(process.argv.slice(2), io).then(exit);
