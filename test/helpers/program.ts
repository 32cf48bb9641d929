// Running our programs from their TypeScript sources as real child processes, from any directory.
import { fileURLToPath } from 'node:url';

/** The tsx loader, resolved from here so that a child started in another cwd still finds it. */
export const TSX_LOADER = import.meta.resolve('tsx');

/** Node arguments that run one of our TypeScript entry points, e.g. `src/dashboard/main.ts`. */
export function nodeArgs(entry: string, ...args: string[]): string[] {
  const file = fileURLToPath(new URL(`../../${entry}`, import.meta.url));
  return ['--import', TSX_LOADER, file, ...args];
}
