// TOTP at login (RFC 6238, 30 s steps, 6 digits). A code is accepted once: a replay is refused, also
// after a restart (or, in a cluster, by the next leader): the last step used is kept in storage.
import { Secret, TOTP } from 'otpauth';

/** Steps either side of now that are accepted, for clocks that drift. */
const DRIFT_STEPS = 1;
const PERIOD_S = 30;

export class TotpGate {
  private readonly totp: TOTP;
  private lastUsedStep: number;
  constructor(
    secretBase32: string,
    /** The step of the last code accepted (from storage), -1 for none. */
    lastUsedStep = -1,
    /** Told each accepted step, to keep it. */
    private readonly used: (step: number) => void = () => {},
  ) {
    this.totp = new TOTP({ secret: Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: 6, period: PERIOD_S });
    // A damaged stored value must not turn replay protection off (every comparison with NaN is false):
    // it counts as a code used now, so only codes of later steps work.
    this.lastUsedStep = Number.isFinite(lastUsedStep) ? lastUsedStep : Math.floor(Date.now() / 1000 / PERIOD_S);
  }

  check(code: string, now = Date.now()): boolean {
    const token = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(token)) return false;
    const delta = this.totp.validate({ token, timestamp: now, window: DRIFT_STEPS });
    if (delta === null) return false;
    const step = Math.floor(now / 1000 / PERIOD_S) + delta;
    if (step <= this.lastUsedStep) return false;
    this.lastUsedStep = step;
    this.used(step);
    return true;
  }

  /** The current code; for tests and for setting up an authenticator. */
  generate(now = Date.now()): string {
    return this.totp.generate({ timestamp: now });
  }
}
