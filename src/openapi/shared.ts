import * as z from "zod";
import type { oas31, ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from "zod-openapi";
import { REQUEST_ID_PATTERN } from "../changes/ids.ts";
import {
  MAX_HTTP_BODY_BYTES,
  MAX_IDEMPOTENCY_KEY,
  parseHttpSubmission,
  parseJsonBody,
  validationProblem,
} from "../changes/intake.ts";
import { MAX_BATCH } from "../changes/model.ts";
import { type Problem, problem } from "../http/problem.ts";
import { problemSchema } from "./responses.ts";

/**
 * What the OpenAPI document's operations share (document.ts): example values, the host's keys, the
 * problem answers (made by the functions that make the real problems), parameters and headers. Pure.
 */

export const OPENAPI_PATH = "/api/openapi.json";

export const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
export const REQUEST_ID = "k-IN9mM5qdd_M6JAFUxsq5HZLDWicnwujf";
export const STATUS_URL = `https://owners.corp.example/api/owner-changes/${REQUEST_ID}`;

/** The host's keys (design §3): `function` routes take any key, `admin` routes only the master key. */
export const FUNCTION_KEY: oas31.SecurityRequirementObject[] = [
  { functionKey: [] },
  { functionKeyQuery: [] },
];
export const MASTER_KEY: oas31.SecurityRequirementObject[] = [{ masterKey: [] }, { masterKeyQuery: [] }];
export const ANONYMOUS: oas31.SecurityRequirementObject[] = [];

export const CHANGE_EXAMPLE = {
  itwinId: ITWIN,
  email: "alice@corp.example",
  action: "add",
  id: "HR-4711",
  source: "workday",
  reason: "promoted",
  requestedBy: "hr-bot@corp.example",
  occurredAt: "2026-11-20T09:15:00Z",
};

// ---- problems ----

/** One way a route can fail: the problem it answers, and when. */
interface Failure {
  problem: Problem;
  when: string;
}

export const fail = (kind: Parameters<typeof problem>[0], when: string, detail = when): Failure => ({
  problem: problem(kind, detail),
  when,
});
export const invalid = (when: string, schema: z.ZodType, body: unknown): Failure => {
  const parsed = schema.safeParse(body);
  if (parsed.success) throw new Error(`the example of "${when}" is valid`);
  return { problem: validationProblem(parsed.error), when };
};
export const notJson = (): Failure => {
  const parsed = parseJsonBody("{");
  if (parsed.ok) throw new Error("the malformed-json example parsed");
  return { problem: parsed.problem, when: "the body is not JSON" };
};
export const unavailable = fail(
  "unavailable",
  "storage failed; repeating the same request is safe",
  "The request could not be stored; try again later",
);
/** The answer of a body `parseHttpSubmission` refuses (an example made by the intake itself). */
const refusedSubmission = (when: string, contentType: string, body: string): Failure => {
  const parsed = parseHttpSubmission(contentType, body);
  if (parsed.ok) throw new Error(`the example of "${when}" was accepted`);
  return { problem: parsed.problem, when };
};
export const notJsonMedia = () =>
  refusedSubmission("the media type is not JSON, or the charset not UTF-8", "text/plain", "{}");
export const tooLarge = fail(
  "tooLarge",
  "the body is over 256 KiB",
  `The body exceeds ${MAX_HTTP_BODY_BYTES} bytes`,
);
export const tooManyChanges = () =>
  refusedSubmission(
    `a batch holds more than ${MAX_BATCH} changes`,
    "application/json",
    JSON.stringify({ changes: Array.from({ length: MAX_BATCH + 1 }, () => CHANGE_EXAMPLE) }),
  );

const retryAfter = z.object({
  "retry-after": z.string().meta({ description: "Seconds to wait before repeating.", examples: ["5"] }),
});

/** Problem answers by status: the failures sharing a status share one response, with an example each. */
export function problems(...failures: Failure[]): ZodOpenApiResponsesObject {
  const byStatus = new Map<number, Failure[]>();
  for (const failure of failures) {
    byStatus.set(failure.problem.status, [...(byStatus.get(failure.problem.status) ?? []), failure]);
  }
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, group] of byStatus) {
    const examples: Record<string, { summary: string; value: Problem }> = {};
    for (const { problem: value, when } of group) {
      const kind = value.type.split(":").at(-1) ?? "problem";
      examples[kind in examples ? `${kind}-${Object.keys(examples).length + 1}` : kind] = {
        summary: when,
        value,
      };
    }
    const response: ZodOpenApiResponseObject = {
      description: capitalise(group.map((failure) => failure.when).join("; or ")),
      content: { "application/problem+json": { schema: problemSchema, examples } },
    };
    if (status === 503) response.headers = retryAfter;
    responses[`${status}` as `4${string}`] = response;
  }
  return responses;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---- parameters and headers ----

export const requestIdParam = z.object({
  id: z
    .string()
    .regex(REQUEST_ID_PATTERN)
    .meta({ description: "The request id.", examples: [REQUEST_ID] }),
});
export const idempotencyKeyHeader = {
  "idempotency-key": z
    .string()
    .min(1)
    .max(MAX_IDEMPOTENCY_KEY)
    .optional()
    .meta({
      description: "Makes the request safe to repeat: the same key and payload return the same request.",
      examples: ["HR-4711"],
    }),
};
export const correlationHeader = z.string().meta({
  description: "The caller's correlation id when it matched `[\\w.:-]{1,128}`, else the invocation id.",
});
export const acceptedHeaders = z.object({
  location: z
    .string()
    .optional()
    .meta({ description: "Where to follow the request (= `statusUrl`); not on a batch's `{ items }`." }),
  "retry-after": z.string().meta({ description: "Seconds before the first poll.", examples: ["1"] }),
  "idempotent-replayed": z
    .literal("true")
    .optional()
    .meta({ description: "The request repeats an earlier one with the same key." }),
  "x-correlation-id": correlationHeader.optional(),
});
export const noStore = z.object({ "cache-control": z.literal("no-store") });

export const ok = (
  description: string,
  schema: z.ZodType,
  headers?: z.ZodObject,
): ZodOpenApiResponseObject => ({
  description,
  content: { "application/json": { schema } },
  ...(headers === undefined ? {} : { headers }),
});
