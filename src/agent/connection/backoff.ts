// How long to wait before the next connection attempt: exponential growth with full jitter.
//
// The ceiling doubles with every failed attempt, from `minMs` up to `maxMs`, and the delay is drawn
// uniformly below it. After a dashboard restart every agent of the fleet loses its socket at the same
// moment; the random draw spreads their reconnects over the whole window instead of a thundering herd.

export interface BackoffPolicy {
  minMs: number;
  maxMs: number;
}

/** The agent's policy unless NIXFLEET_RECONNECT_MIN and NIXFLEET_RECONNECT_MAX say otherwise (the benchmark's simulated agents use it too). */
export const DEFAULT_RECONNECT_POLICY: Readonly<BackoffPolicy> = { minMs: 1_000, maxMs: 60_000 };

/** Doublings past which the ceiling cannot grow further for any sane maxMs; keeps the number finite. */
const MAX_DOUBLINGS = 40;

/** The ceiling of the delay before attempt `attempt` (0 for the first retry). */
export function backoffCeilingMs(attempt: number, policy: BackoffPolicy): number {
  const growth = 2 ** Math.min(Math.max(attempt, 0), MAX_DOUBLINGS);
  return Math.min(policy.maxMs, policy.minMs * growth);
}

/** A delay in [0, ceiling): "full jitter". `random` returns [0, 1) like Math.random. */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeilingMs(attempt, policy));
}
