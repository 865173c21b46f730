/**
 * The CLI's exit codes, one meaning each, so scripts can branch on them. Pure.
 * `--help` prints EXIT_CODES_HELP; every command maps its result through the functions here.
 */
export const EXIT = {
  ok: 0,
  /** A change failed or was rejected, or the service refused the command (not found, not held, key reused). */
  failed: 1,
  /** Bad flags or arguments, or lines of a file that do not validate: nothing was sent. */
  usage: 2,
  /** Nothing failed, but a change is held for approval. */
  held: 3,
  /** The service could not be reached or answered with a server error, or the key was refused. */
  unavailable: 4,
  /** `--timeout` passed while changes were still queued or processing; run the command again to go on waiting. */
  pending: 5,
  /** A fault of the CLI itself (a bug): the message and stack say where. */
  internal: 70,
  /** Ctrl-C during a submit; run it again to resume. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0    done: every change succeeded (or the command did what it was asked)
  1    a change failed or was rejected, or the service refused the command (404, 409, 422)
  2    usage: bad flags or arguments, or bad lines in a file (nothing was sent)
  3    nothing failed, but a change is held for approval (see: owner-changes approve)
  4    the service is unreachable, answered 5xx, timed out or throttled (408/429), or refused the key (401/403)
  5    --timeout passed with changes still queued or processing (run the command again)
  70   an unexpected error in owner-changes itself (please report it with the message)
  130  interrupted (Ctrl-C) during submit (run the same command again to resume)`;

/** What a set of changes' statuses means for the exit code: failures first, then waiting, then held. */
export function exitCodeForStatuses(statuses: Iterable<string>): ExitCode {
  const seen = new Set(statuses);
  if (["failed", "rejected", "refused"].some((status) => seen.has(status))) return EXIT.failed;
  if (["queued", "processing", "unsent"].some((status) => seen.has(status))) return EXIT.pending;
  if (seen.has("held")) return EXIT.held;
  return EXIT.ok;
}

/** An HTTP answer or transport failure → exit code. `status` undefined: no answer at all (network, timeout). */
export function exitCodeForHttpStatus(status: number | undefined): ExitCode {
  // 408 and a 429 that outlived the client's retries are the service being busy, not a refusal.
  const unavailable = [401, 403, 408, 429];
  if (status === undefined || unavailable.includes(status) || status >= 500) return EXIT.unavailable;
  if (status === 400 || status === 413 || status === 415) return EXIT.usage;
  return EXIT.failed;
}
