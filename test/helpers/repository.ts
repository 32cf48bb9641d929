// The repository's own directory, for tests that read or walk its files. Found through package.json,
// so that it is the same when a test runs from scripts/run-tests.mjs's transpiled copy of the tree
// (whose files other than the TypeScript sources are links into the repository).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.dirname(fs.realpathSync(fileURLToPath(new URL('../../package.json', import.meta.url))));
