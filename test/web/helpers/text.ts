// Waiting for what the page says. The page draws the dashboard's news once per frame, so a text read
// right after it may be the frame before; these wait for the text, then compare it for a clear diff.
import assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';
import { until, UI_WAIT_MS } from './browser.js';

export async function expectText(locator: Locator, expected: string, timeoutMs = UI_WAIT_MS): Promise<void> {
  try {
    await until(async () => (await locator.textContent()) === expected, `the text "${expected}"`, timeoutMs);
  } catch {
    // Fails with the text there is, so the diff says what the page shows instead.
  }
  assert.equal(await locator.textContent(), expected);
}
