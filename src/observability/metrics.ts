/**
 * The counters operators chart (README "Operating"). Code records through `metrics()`; until
 * telemetry is switched on (APPLICATIONINSIGHTS_CONNECTION_STRING), recording costs nothing.
 */
export interface Metrics {
  /** A change reached a final status. */
  changeFinished(status: string, outcome: string | undefined): void;
  /** The API refused or failed a call that will be tried again after `delayMs`. */
  apiRetry(httpStatus: number | undefined, code: string, delayMs: number): void;
  /** A call waited `delayMs` for the rate-limit window before it was sent. */
  paced(delayMs: number): void;
}

const noMetrics: Metrics = {
  changeFinished: () => undefined,
  apiRetry: () => undefined,
  paced: () => undefined,
};

let active: Metrics = noMetrics;

export function metrics(): Metrics {
  return active;
}

export function setMetrics(next: Metrics): void {
  active = next;
}
