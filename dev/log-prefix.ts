import type { Readable } from "node:stream";

/**
 * Prefixed, optionally coloured log lines for processes that share one terminal (`npm start`):
 * `[azurite]   …`, `[simulator] …`, `[runner]    …`.
 */

export type Colour = "cyan" | "magenta" | "green" | "yellow" | "red" | "blue" | "gray";

const CODES: Record<Colour, number> = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
};

/** Colour when writing to a terminal, unless NO_COLOR is set; FORCE_COLOR (non-"0") forces it. */
export function colourEnabled(
  stream: { isTTY?: boolean },
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  return stream.isTTY === true;
}

export function paint(text: string, colour: Colour, enabled: boolean): string {
  return enabled ? `\u001b[${CODES[colour]}m${text}\u001b[39m` : text;
}

/** `[name]` padded to `width` characters (the padding goes after the bracket). */
export function formatPrefix(name: string, colour: Colour, enabled: boolean, width = 0): string {
  const tag = `[${name}]`;
  return paint(tag, colour, enabled) + " ".repeat(Math.max(1, width - tag.length + 1));
}

/**
 * Splits a byte stream into lines and writes each with a prefix. Partial lines are held until their
 * newline arrives (or `flush()`); `\r\n` is handled; an over-long line is written in pieces.
 */
export class LinePrefixer {
  #pending = "";
  readonly #decoder = new TextDecoder();

  constructor(
    private readonly prefix: string,
    private readonly write: (line: string) => void,
    private readonly maxLine = 16_384,
  ) {}

  push(chunk: Buffer | Uint8Array | string): void {
    this.#pending += typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    let newline = this.#pending.indexOf("\n");
    while (newline >= 0) {
      const line = this.#pending.slice(0, newline).replace(/\r$/, "");
      this.#pending = this.#pending.slice(newline + 1);
      this.write(`${this.prefix}${line}`);
      newline = this.#pending.indexOf("\n");
    }
    while (this.#pending.length > this.maxLine) {
      this.write(`${this.prefix}${this.#pending.slice(0, this.maxLine)}`);
      this.#pending = this.#pending.slice(this.maxLine);
    }
  }

  flush(): void {
    this.#pending += this.#decoder.decode();
    if (this.#pending !== "") {
      this.write(`${this.prefix}${this.#pending.replace(/\r$/, "")}`);
      this.#pending = "";
    }
  }
}

/** Pipes a readable (a child's stdout/stderr) through a LinePrefixer; flushes on end. */
export function pipeWithPrefix(
  stream: Readable,
  prefix: string,
  write: (line: string) => void,
): LinePrefixer {
  const prefixer = new LinePrefixer(prefix, write);
  stream.on("data", (chunk: Buffer) => prefixer.push(chunk));
  stream.once("end", () => prefixer.flush());
  return prefixer;
}
