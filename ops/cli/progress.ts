/**
 * One progress line on stderr, so that `--json` keeps stdout clean. On a terminal the line is redrawn
 * in place (`\r` + erase line), cut to the terminal's width so it never wraps, at most every
 * `redrawMs`; elsewhere (CI logs, pipes) a plain line is written at most every `plainEveryMs`, and
 * `done` always writes the last state once. The clock is injected, so tests assert exact output.
 */

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  now: () => number;
  redrawMs?: number;
  plainEveryMs?: number;
}

const ERASE = "\r\x1b[2K";

export class ProgressLine {
  readonly #stream: ProgressStream;
  readonly #now: () => number;
  readonly #everyMs: number;
  readonly #tty: boolean;
  #lastAt: number | undefined;
  #written = "";
  #shown = false;

  constructor(stream: ProgressStream, options: ProgressOptions) {
    this.#stream = stream;
    this.#now = options.now;
    this.#tty = stream.isTTY === true;
    this.#everyMs = this.#tty ? (options.redrawMs ?? 100) : (options.plainEveryMs ?? 5000);
  }

  update(text: string): void {
    const now = this.#now();
    if (text === this.#written || (this.#lastAt !== undefined && now - this.#lastAt < this.#everyMs)) return;
    this.#write(text);
    this.#lastAt = now;
  }

  /** The final state, always written, ending the line. */
  done(text: string): void {
    this.#write(text);
    if (this.#tty) this.#stream.write("\n");
    this.#shown = false;
  }

  /** Clears a redrawn line so that other output does not land on it (nothing to do elsewhere). */
  clear(): void {
    if (this.#tty && this.#shown) this.#stream.write(ERASE);
    this.#shown = false;
  }

  #write(text: string): void {
    this.#written = text;
    if (this.#tty) {
      // One column is left free: writing into the last one makes some terminals wrap.
      const width = Math.max(10, (this.#stream.columns || 80) - 1);
      this.#stream.write(`${ERASE}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      this.#shown = true;
    } else this.#stream.write(`${text}\n`);
  }
}

/** `[████░░░░░░]` for done of total. Pure. */
export function bar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? width : Math.min(width, Math.floor((done / total) * width));
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`;
}

/** 75 → "1m15s", 9 → "9s". */
export function seconds(ms: number): string {
  const total = Math.floor(ms / 1000);
  return total >= 60 ? `${Math.floor(total / 60)}m${String(total % 60).padStart(2, "0")}s` : `${total}s`;
}
