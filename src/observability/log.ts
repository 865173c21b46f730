import type { InvocationContext } from "@azure/functions";
import { redactDeep } from "./redact.ts";

export type LogFields = Record<string, unknown>;
export type Log = (message: string, fields?: LogFields) => void;

export interface Logger {
  info: Log;
  warn: Log;
  error: Log;
}

/**
 * Structured log lines through the invocation context, so the host routes them to Application
 * Insights with the invocation id. Every line is one JSON object carrying the correlation fields
 * (our request id, the caller's correlation id, the API's x-correlation-id) beside the message.
 * Every line is redacted here, so no call site has to remember to keep secrets out (redact.ts).
 */
export function invocationLogger(context: InvocationContext, base: LogFields = {}): Logger {
  const line = (message: string, fields?: LogFields) =>
    JSON.stringify(
      redactDeep({
        msg: message,
        function: context.functionName,
        invocationId: context.invocationId,
        ...base,
        ...fields,
      }),
    );
  return {
    info: (message, fields) => context.info(line(message, fields)),
    warn: (message, fields) => context.warn(line(message, fields)),
    error: (message, fields) => context.error(line(message, fields)),
  };
}
