// Reconnect waits double from half a second up to a ceiling, never all in step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIRST_RETRY_MS, MAX_RETRY_MS, RETRY_JITTER_FRACTION, retryDelayMs } from '../../../src/web/net/backoff.js';

test('waits double from the first one up to the ceiling', () => {
  const middle = () => 0.5;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 10].map((attempt) => retryDelayMs(attempt, middle)),
    [FIRST_RETRY_MS, 1_000, 2_000, 4_000, 8_000, MAX_RETRY_MS, MAX_RETRY_MS],
  );
});

test('jitter stays within its fraction either way', () => {
  assert.equal(retryDelayMs(0, () => 0), Math.round(FIRST_RETRY_MS * (1 - RETRY_JITTER_FRACTION)));
  assert.equal(retryDelayMs(0, () => 1), Math.round(FIRST_RETRY_MS * (1 + RETRY_JITTER_FRACTION)));
});
