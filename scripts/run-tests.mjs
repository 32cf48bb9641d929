#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner and the tsx loader.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = find('test')
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
function run(list, concurrency, timeoutMs) {
  if (list.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...list],
    { stdio: 'inherit' },
  );
  return result.status ?? 1;
}

// Most tests wait on sockets and child processes rather than the CPU, so run a few files at once.
// Files named *.serial.test.ts measure time or load the whole machine (fifty agents, a package
// install): they run afterwards, alone, and a file of them may take longer.
const parallel = files.filter((file) => !file.endsWith('.serial.test.ts'));
const serial = files.filter((file) => file.endsWith('.serial.test.ts'));
const failedParallel = run(parallel, process.env.TEST_CONCURRENCY ?? '3', 120_000);
const failedSerial = run(serial, '1', 300_000);
process.exit(failedParallel || failedSerial);
