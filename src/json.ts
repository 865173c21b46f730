/**
 * JSON.parse without the throw: `{ ok: true, value }`, or `{ ok: false, error }` with the parser's
 * message when the text is not JSON.
 */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
