import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import {
  decodeUtf8,
  jsonMediaTypeProblem,
  MAX_HTTP_BODY_BYTES,
  parseJsonBody,
} from "../../changes/intake.ts";
import { systemClock } from "../../clock.ts";
import { type Problem, problem, problemResponse, unavailableResponse } from "../../http/problem.ts";
import { readRequestBody } from "../../http/read-body.ts";
import { invocationLogger } from "../../observability/log.ts";
import { OffboardingInputError } from "../../people/offboard.ts";
import { services } from "../../services.ts";
import { acceptMapped, deliveryKey, type ItemResult, offboardWith } from "../../sources/accept-event.ts";
import { mapEvent } from "../../sources/evaluate.ts";
import { sourceMappings } from "../../sources/load.ts";

/**
 * `POST /api/sources/{name}`: a system's own webhook payload, read into owner changes by the source's
 * mapping (docs/sources.md). Thin shell: the body is read with the intake's byte budget, checked
 * against the source's signature rule before it is parsed, mapped (src/sources/evaluate.ts) and
 * accepted (src/sources/accept-event.ts). Answers as soon as the changes are accepted.
 */
export async function submitSourceEvent(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  // Ticket and HR systems send no correlation id of ours; the invocation id ties the logs together.
  const correlationId = context.invocationId;
  const name = request.params.name ?? "";
  const log = invocationLogger(context, { correlationId, source: name });
  const headers = { "x-correlation-id": correlationId };
  const refuse = (refused: Problem) => {
    log.warn("rejected source event", { status: refused.status, errors: refused.errors });
    return problemResponse(refused, headers);
  };

  const mapping = (await sourceMappings()).get(name);
  if (mapping === undefined) {
    return refuse(problem("notFound", `No source is named ${name}`, { title: "No such source" }));
  }
  const read = await readRequestBody(request, MAX_HTTP_BODY_BYTES);
  if (!read.ok) return refuse(read.problem);
  // Bytes as received, before any parsing: a forged body is never read by the mapping.
  const signature = mapping.verify(read.bytes, request.headers);
  if (!signature.ok) return refuse(problem("badSignature", signature.reason));
  const media = jsonMediaTypeProblem(request.headers.get("content-type"));
  if (media !== undefined) return refuse(media);
  const text = decodeUtf8(read.bytes);
  if (!text.ok) return refuse(text.problem);
  const payload = parseJsonBody(text.text);
  if (!payload.ok) return refuse(payload.problem);

  const mapped = await mapEvent(mapping, payload.value);
  if (mapped.kind === "skipped") {
    log.info("skipped source event", { reason: mapped.reason });
    return { status: 200, headers, jsonBody: { status: "skipped", detail: mapped.reason } };
  }
  if (mapped.kind === "unreadable") {
    const fields = [...new Set(mapped.errors.map((error) => error.path))].join(", ");
    return refuse(
      problem("unreadableEvent", `The ${name} mapping cannot read: ${fields}`, { errors: mapped.errors }),
    );
  }

  let results: ItemResult[];
  try {
    await services().ready();
    const { store, storage, people, offboardings } = services();
    const deps = { store, jobsQueue: storage.jobsQueue, clock: systemClock };
    const key = deliveryKey(signature.webhookId, read.bytes);
    results = await acceptMapped(
      mapped.items,
      { source: name, key, several: mapped.several, correlationId },
      { ...deps, offboard: offboardWith({ ...deps, people, offboardings }) },
    );
  } catch (error) {
    // The offboarding's own field rules: a key over 200 characters is the one the mapping can break.
    if (error instanceof OffboardingInputError) {
      return refuse(problem("unreadableEvent", error.message, { errors: error.errors }));
    }
    log.error("could not accept source event", { error: (error as Error).message });
    return unavailableResponse("The request could not be stored; try again later", headers);
  }
  for (const result of results) log.info(`source event ${result.kind}`, { requestId: result.id });
  return answer(results, mapped.several, request.url, headers);
}

/** One change: the submit route's answer. Several (a `changes` expression): `{ items }` in order. */
function answer(
  results: readonly ItemResult[],
  several: boolean,
  requestUrl: string,
  headers: Record<string, string>,
): HttpResponseInit {
  const url = (path: string) => new URL(path, requestUrl).toString();
  // An offboarding's status is its roll-up (design §11), at its own route.
  const statusUrl = (result: Exclude<ItemResult, { kind: "key-reused" }>) =>
    url(result.what === "change" ? `/api/owner-changes/${result.id}` : `/api/offboardings/${result.id}`);
  const reused = (id: string) =>
    problem("keyReused", `Request ${id} was made with this event's key and a different payload`);
  const item = (result: ItemResult) =>
    result.kind === "key-reused"
      ? { error: reused(result.id) }
      : {
          id: result.id,
          status: result.status,
          statusUrl: statusUrl(result),
          ...(result.what === "offboarding" ? { offboarding: true } : {}),
          ...(result.kind === "duplicate" ? { replayed: true } : {}),
        };
  if (several) {
    return {
      status: 202,
      headers: { ...headers, "retry-after": "1" },
      jsonBody: { items: results.map((result, index) => ({ index, ...item(result) })) },
    };
  }
  const [result] = results as [ItemResult];
  if (result.kind === "key-reused") return problemResponse(reused(result.id), headers);
  return {
    status: 202,
    headers: {
      ...headers,
      location: statusUrl(result),
      "retry-after": "1",
      ...(result.kind === "duplicate" ? { "idempotent-replayed": "true" } : {}),
    },
    jsonBody: item(result),
  };
}
