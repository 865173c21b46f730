/** Progress goes to stderr, so stdout carries only the table and the JSON line. */
const started = Date.now();

export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}

/** The last `lines` lines of a long text (runner output for diagnostics). */
export function tail(text: string, lines = 30): string {
  return text.split("\n").slice(-lines).join("\n");
}
