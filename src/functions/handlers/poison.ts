import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { parseJsonBody, validationProblem } from "../../changes/intake.ts";
import { systemClock } from "../../clock.ts";
import { problem, problemResponse, unavailableResponse } from "../../http/problem.ts";
import { invocationLogger } from "../../observability/log.ts";
import type { PoisonQueueKind } from "../../poison/plan.ts";
import { listPoison, replayPoison } from "../../poison/poison-queue.ts";
import type { PoisonList, ReplayResult } from "../../poison/schemas.ts";
import { poisonQueueSchema, replayRequestSchema } from "../../poison/schemas.ts";
import { services } from "../../services.ts";

/**
 * `GET /api/poison/{queue}` and `POST /api/poison/{queue}/replay` (design §3, §4.1): what the poison
 * queues hold and why, and putting messages back to work once the cause is gone. Admin key: replaying
 * re-runs changes, and the messages show addresses.
 */

function queueOf(request: HttpRequest): PoisonQueueKind | HttpResponseInit {
  const parsed = poisonQueueSchema.safeParse(request.params.queue);
  return parsed.success
    ? parsed.data
    : problemResponse(
        problem("notFound", `No poison queue is called ${request.params.queue ?? ""}: use requests or jobs`),
      );
}

function poisonQueue(kind: PoisonQueueKind) {
  const { storage } = services();
  return kind === "requests" ? storage.requestsPoisonQueue : storage.jobsPoisonQueue;
}

export async function listPoisonHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const kind = queueOf(request);
  if (typeof kind !== "string") return kind;
  try {
    await services().ready();
    const body: PoisonList = { queue: kind, messages: await listPoison(poisonQueue(kind), kind) };
    return { status: 200, headers: { "cache-control": "no-store" }, jsonBody: body };
  } catch (error) {
    invocationLogger(context).error("could not read a poison queue", { error: (error as Error).message });
    return unavailableResponse("The poison queue could not be read; try again later");
  }
}

export async function replayPoisonHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const kind = queueOf(request);
  if (typeof kind !== "string") return kind;
  const json = parseJsonBody((await request.text()) || "{}");
  if (!json.ok) return problemResponse(json.problem);
  const parsed = replayRequestSchema.safeParse(json.value);
  if (!parsed.success) return problemResponse(validationProblem(parsed.error));

  const { storage, store } = services();
  const log = invocationLogger(context);
  try {
    await services().ready();
    const result = await replayPoison(
      { poison: poisonQueue(kind), requests: storage.requestsQueue, store, clock: systemClock },
      kind,
      parsed.data,
    );
    log.info(`poison ${kind} ${result.dryRun ? "dry run" : "replay"}`, {
      replayed: result.replayed.length,
      skipped: result.skipped.length,
    });
    const body: ReplayResult = { queue: kind, ...result };
    return { status: 200, jsonBody: body };
  } catch (error) {
    // Whatever was replayed before the failure is gone from the poison queue; the rest reappears there.
    log.error("poison replay failed", { error: (error as Error).message });
    return unavailableResponse("The replay could not finish; list the queue and replay what is left");
  }
}
