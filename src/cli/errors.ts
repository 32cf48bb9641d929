// What can go wrong for the command line, as exit codes a script can act on and one line for a person.

/** Exit codes (docs/cli.md). */
export const EXIT_OK = 0;
/** A host failed, a command could not be sent, a rollout did not succeed, the dashboard said no (4xx). */
export const EXIT_FAILED = 1;
/** A bad argument or a missing setting: retrying unchanged cannot help. */
export const EXIT_USAGE = 2;
/** The API token is unknown or revoked (401), or its scope does not cover the request (403). */
export const EXIT_DENIED = 3;
/** The dashboard cannot be reached, fails (5xx), or its socket was lost for good. */
export const EXIT_UNAVAILABLE = 4;

export class CliError extends Error {
  constructor(
    message: string,
    /** The dashboard's error code (`host_busy`, `forbidden`, …) or the command line's own (`usage`). */
    readonly code: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, 'usage', EXIT_USAGE);
}
