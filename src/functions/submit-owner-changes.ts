import { Buffer } from "node:buffer";
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { type AcceptResult, acceptChange, acceptChanges } from "../changes/accept.ts";
import { MAX_HTTP_BODY_BYTES, parseHttpSubmission, parseIdempotencyKey } from "../changes/intake.ts";
import { systemClock } from "../clock.ts";
import { type Problem, problem, problemResponse, unavailableResponse } from "../http/problem.ts";
import { readRequestBody } from "../http/read-body.ts";
import { invocationLogger } from "../observability/log.ts";
import { services } from "../services.ts";

/** A caller's correlation id is echoed and stored, so only a short, plain one is taken. */
function callerCorrelationId(value: string | null): string | undefined {
  return value !== null && /^[\w.:-]{1,128}$/.test(value) ? value : undefined;
}

/** `POST /api/owner-changes`: one change or `{ changes: [...] }`; answers 202 with where to poll. */
export async function submitOwnerChanges(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = callerCorrelationId(request.headers.get("x-correlation-id")) ?? context.invocationId;
  const log = invocationLogger(context, { correlationId });
  const refuse = (refused: Problem) => {
    log.warn("rejected owner-change submission", { status: refused.status, errors: refused.errors });
    return problemResponse(refused, { "x-correlation-id": correlationId });
  };
  const read = await readRequestBody(request, MAX_HTTP_BODY_BYTES);
  if (!read.ok) return refuse(read.problem);
  const { signatureVerifier } = services();
  let webhookId: string | undefined;
  if (signatureVerifier !== undefined) {
    const check = (await signatureVerifier())(Buffer.from(read.bytes), request.headers);
    if (!check.ok) {
      log.warn("rejected unsigned or badly signed webhook", { reason: check.reason });
      return problemResponse(problem("badSignature", check.reason), { "x-correlation-id": correlationId });
    }
    webhookId = check.webhookId;
  }
  // A signed delivery is keyed by its webhook-id; the header is only read (and checked) when it counts.
  const headerKey =
    webhookId === undefined ? parseIdempotencyKey(request.headers.get("idempotency-key")) : undefined;
  if (headerKey?.ok === false) return refuse(headerKey.problem);
  const submission = parseHttpSubmission(request.headers.get("content-type"), read.bytes);
  if (!submission.ok) return refuse(submission.problem);

  const { store, storage } = services();
  const deps = {
    store,
    jobsQueue: storage.jobsQueue,
    jobBundlesQueue: storage.jobBundlesQueue,
    clock: systemClock,
  };
  // A signed webhook's id names the delivery (and is vouched for, unlike the header), so a redelivery
  // is the same request. In a batch, an item without its own `id` is keyed by the request's key and its
  // place in the batch; without a request key it gets none. The whole derivation: design §3.
  const requestKey = webhookId ?? headerKey?.key;
  const keyFor = (index: number): string | undefined =>
    requestKey === undefined ? undefined : submission.batch ? `${requestKey}#${index}` : requestKey;
  let results: AcceptResult[];
  try {
    await services().ready();
    const inputs = submission.changes.map((change, index) => {
      const key = submission.batch && change.id !== undefined ? undefined : keyFor(index);
      return {
        change,
        via: "http" as const,
        correlationId,
        ...(key === undefined ? {} : { idempotencyKey: key }),
      };
    });
    // A batch's records are written together (shared partitions as transactions), then its jobs sent.
    results = submission.batch
      ? await acceptChanges(inputs, deps)
      : [await acceptChange(inputs[0] as (typeof inputs)[number], deps)];
  } catch (error) {
    log.error("could not accept owner change", { error: (error as Error).message });
    return unavailableResponse("The request could not be stored; try again later", {
      "x-correlation-id": correlationId,
    });
  }
  for (const result of results) {
    log.info(`owner change ${result.kind}`, {
      requestId: result.doc.id,
      itwinId: result.doc.itwinId,
      action: result.doc.action,
    });
  }

  const statusUrl = (id: string) => new URL(`/api/owner-changes/${id}`, request.url).toString();
  const headers = { "x-correlation-id": correlationId };
  if (!submission.batch) {
    const [result] = results as [AcceptResult];
    if (result.kind === "key-reused") {
      return problemResponse(
        problem(
          "keyReused",
          `Request ${result.doc.id} was made with this idempotency key and a different payload`,
        ),
        headers,
      );
    }
    return {
      status: 202,
      headers: {
        ...headers,
        location: statusUrl(result.doc.id),
        "retry-after": "1",
        ...(result.kind === "duplicate" ? { "idempotent-replayed": "true" } : {}),
      },
      jsonBody: { id: result.doc.id, status: result.doc.status, statusUrl: statusUrl(result.doc.id) },
    };
  }
  return {
    status: 202,
    headers: { ...headers, "retry-after": "1" },
    jsonBody: {
      items: results.map((result, index) =>
        result.kind === "key-reused"
          ? {
              index,
              error: problem(
                "keyReused",
                `Request ${result.doc.id} was made with this id and a different payload`,
              ),
            }
          : {
              index,
              id: result.doc.id,
              status: result.doc.status,
              statusUrl: statusUrl(result.doc.id),
              ...(result.kind === "duplicate" ? { replayed: true } : {}),
            },
      ),
    },
  };
}

app.http("submitOwnerChanges", {
  route: "owner-changes",
  methods: ["POST"],
  authLevel: "function",
  handler: submitOwnerChanges,
});
