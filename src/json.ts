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

/**
 * A queue trigger's message as a value: text that is JSON parsed, anything else (text that is not JSON,
 * or what the host already parsed) as it came, for a schema to judge.
 */
export function messageValue(message: unknown): unknown {
  if (typeof message !== "string") return message;
  const json = tryParseJson(message);
  return json.ok ? json.value : message;
}
