import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { decideHeldChange } from "../../changes/approval.ts";
import { REQUEST_ID_PATTERN } from "../../changes/ids.ts";
import { parseJsonBody, validationProblem } from "../../changes/intake.ts";
import { decisionSchema } from "../../changes/model.ts";
import { systemClock } from "../../clock.ts";
import { problem, problemResponse, unavailableResponse } from "../../http/problem.ts";
import { invocationLogger } from "../../observability/log.ts";
import { services } from "../../services.ts";
import { ConcurrentUpdateError } from "../../storage/rows.ts";

const DECISIONS = { approve: true, reject: false } as const;

/**
 * `POST /api/owner-changes/{id}/approve` or `/reject` with `{ "by": "…", "reason": "…" }`: releases or
 * refuses a removal the mass-removal policy held. Admin-level key: approving is not the senders' call.
 */
export async function decideOwnerChange(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const id = request.params.id ?? "";
  const decision = request.params.decision ?? "";
  if (!REQUEST_ID_PATTERN.test(id) || !Object.hasOwn(DECISIONS, decision)) {
    return problemResponse(
      problem("notFound", `No such owner-change request or decision: ${id}/${decision}`),
    );
  }
  const json = parseJsonBody((await request.text()) || "{}");
  if (!json.ok) return problemResponse(json.problem);
  const parsed = decisionSchema.safeParse(json.value);
  if (!parsed.success) return problemResponse(validationProblem(parsed.error));

  const { store, storage } = services();
  let result: Awaited<ReturnType<typeof decideHeldChange>>;
  try {
    await services().ready();
    result = await decideHeldChange(
      id,
      { approve: DECISIONS[decision as keyof typeof DECISIONS], ...parsed.data },
      { store, jobsQueue: storage.jobsQueue, clock: systemClock },
    );
  } catch (error) {
    if (error instanceof ConcurrentUpdateError) {
      return problemResponse(problem("notHeld", `Request ${id} was decided by someone else just now`));
    }
    invocationLogger(context, { requestId: id }).error("decision failed", {
      error: (error as Error).message,
    });
    return unavailableResponse("The decision could not be stored; try again later");
  }
  if (result.kind === "not-found") {
    return problemResponse(problem("notFound", `No owner-change request has the id ${id}`));
  }
  if (result.kind === "approved-not-queued") {
    return problemResponse(
      problem(
        "unavailable",
        `The approval of ${id} is recorded, but the change could not be queued: approve it again`,
      ),
      { "retry-after": "5" },
    );
  }
  if (result.kind === "not-held") {
    return problemResponse(problem("notHeld", `Request ${id} is ${result.doc.status}, not held`));
  }
  invocationLogger(context, { requestId: id }).info(`held change ${decision}d`, { by: parsed.data.by });
  return { status: 200, jsonBody: result.doc };
}
