// `test`: every executable hosts/<hostname>/tests/*.sh of the repository, in name order. Each one's
// result goes to the dashboard as it comes (test_progress); the status names the ones that failed and
// the ones that could not run. A host without tests ends with a warning, not a success.
import fs from 'node:fs';
import path from 'node:path';
import { failed, ok, succeeded, warning, type CommandContext, type CommandDefinition, type CommandOutcome } from './context.js';

interface TestResult {
  name: string;
  passed: boolean;
  exit_code: number | null;
}

/** The `*.sh` files of the tests dir in name order: those that can run, and those that cannot (not executable). */
function testScripts(dir: string): { runnable: string[]; skipped: string[] } {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return { runnable: [], skipped: [] };
  }
  const runnable: string[] = [];
  const skipped: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.sh')).sort()) {
    const file = path.join(dir, name);
    if (!isFile(file)) continue;
    if (isExecutable(file)) runnable.push(file);
    else skipped.push(name);
  }
  return { runnable, skipped };
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function runTests(ctx: CommandContext): Promise<CommandOutcome> {
  const relativeDir = `hosts/${ctx.config.hostname}/tests`;
  const dir = path.join(ctx.config.repoDir, relativeDir);
  const { runnable: scripts, skipped } = testScripts(dir);
  // A script that lost its executable bit (a checkout on a filesystem without modes, a forgotten
  // chmod +x) is said by name, in the output and the status, never dropped silently.
  const skippedNote = skipped.length > 0 ? `skipped (not executable): ${skipped.join(', ')}` : '';
  if (skippedNote) ctx.note(skippedNote);
  if (scripts.length === 0) {
    const message = skippedNote ? `no executable tests in ${relativeDir}; ${skippedNote}` : `no tests in ${relativeDir}`;
    ctx.updates.set('tests', 'unknown', message);
    return warning(message);
  }
  const results: TestResult[] = [];
  const total = scripts.length;
  for (const [index, script] of scripts.entries()) {
    if (ctx.stopRequested) break;
    const name = path.basename(script);
    const passed = results.filter((r) => r.passed).length;
    ctx.testProgress({ current: index, total, passed, running: name });
    const result = await ctx.run({ argv: [script] });
    const entry = { name, passed: succeeded(result), exit_code: result.exitCode };
    results.push(entry);
    const passedNow = results.filter((r) => r.passed).length;
    ctx.testProgress({ current: index + 1, total, passed: passedNow, running: false, result: entry });
    ctx.progress({ tests: { current: index + 1, total, status: 'running', results } });
  }
  return verdict(ctx, results, total, skippedNote);
}

/** Passed, or which failed; a skipped script turns a pass into a warning and is named either way. */
function verdict(ctx: CommandContext, results: readonly TestResult[], total: number, skippedNote: string): CommandOutcome {
  const failures = results.filter((r) => !r.passed).map((r) => r.name);
  const status = failures.length === 0 ? 'ok' : 'error';
  ctx.progress({ tests: { current: results.length, total, status, results: [...results] } });
  const skippedPart = skippedNote ? `; ${skippedNote}` : '';
  if (failures.length === 0) {
    const passedMessage = `${total} test${total === 1 ? '' : 's'} passed`;
    ctx.updates.set('tests', 'ok', `${total} passed${skippedPart}`);
    return skippedNote ? warning(`${passedMessage}${skippedPart}`) : ok(passedMessage);
  }
  const message = `${failures.length} of ${total} tests failed: ${failures.join(', ')}${skippedPart}`;
  ctx.updates.set('tests', 'error', message);
  return failed(message, 1);
}

export const test: CommandDefinition = { run: runTests };
