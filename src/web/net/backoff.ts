// How long to wait before the next reconnect: doubling from a short first wait up to a ceiling, with
// jitter so that many browsers cut by one dashboard restart do not all return in the same instant.
export const FIRST_RETRY_MS = 500;
export const MAX_RETRY_MS = 15_000;
/** Each wait is shortened or lengthened by up to this fraction of itself. */
export const RETRY_JITTER_FRACTION = 0.2;

/** The wait before retry number `attempt` (0 for the first retry after a drop). */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt));
  const jitter = (random() * 2 - 1) * RETRY_JITTER_FRACTION * base;
  return Math.round(base + jitter);
}
