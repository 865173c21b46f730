import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { parseIdempotencyKey, parseJsonBody, validationProblem } from "../../changes/intake.ts";
import { systemClock } from "../../clock.ts";
import { problem, problemResponse, unavailableResponse } from "../../http/problem.ts";
import { invocationLogger } from "../../observability/log.ts";
import { OffboardingInputError, OffboardingKeyReusedError, offboardPerson } from "../../people/offboard.ts";
import { offboardBodySchema } from "../../people/plan.ts";
import { rollUp } from "../../people/rollup.ts";
import { services } from "../../services.ts";

/**
 * `POST /api/people/{email}/offboard` with an optional `{ reason, requestedBy, dryRun }` (design §3,
 * §11): removes the person from every iTwin they are known to own, as child changes of one parent.
 * Admin-level key: one call removes someone everywhere, which is not a sender's call to make.
 */
export async function offboardPersonHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const log = invocationLogger(context);
  const headerKey = parseIdempotencyKey(request.headers.get("idempotency-key"));
  if (!headerKey.ok) return problemResponse(headerKey.problem);
  // The body is optional: an offboarding needs nothing beyond whom, which the path names.
  const json = parseJsonBody((await request.text()) || "{}");
  if (!json.ok) return problemResponse(json.problem);
  const body = offboardBodySchema.safeParse(json.value);
  if (!body.success) return problemResponse(validationProblem(body.error));

  const { store, storage, people, offboardings } = services();
  let result: Awaited<ReturnType<typeof offboardPerson>>;
  try {
    await services().ready();
    result = await offboardPerson(
      {
        ...body.data,
        email: request.params.email ?? "",
        source: "offboard",
        via: "offboard",
        idempotencyKey: headerKey.key,
        correlationId: context.invocationId,
      },
      {
        store,
        jobsQueue: storage.jobsQueue,
        clock: systemClock,
        people,
        offboardings,
      },
    );
  } catch (error) {
    if (error instanceof OffboardingInputError) {
      return problemResponse(problem("validation", error.message, { errors: error.errors }));
    }
    if (error instanceof OffboardingKeyReusedError) {
      return problemResponse(problem("keyReused", error.message));
    }
    log.error("could not accept offboarding", { error: (error as Error).message });
    return unavailableResponse("The offboarding could not be stored; try again later");
  }
  log.info(`offboarding ${result.kind}`, { requestId: result.parentId, children: result.children.length });

  const url = (path: string) => new URL(path, request.url).toString();
  const statusUrl = url(`/api/offboardings/${result.parentId}`);
  return {
    status: 202,
    headers: {
      location: statusUrl,
      "retry-after": "1",
      ...(result.kind === "duplicate" ? { "idempotent-replayed": "true" } : {}),
    },
    jsonBody: {
      id: result.parentId,
      // Every child has just been accepted (or found), so none can be missing here.
      status: rollUp(
        result.children.map((child) => child.status),
        0,
      ),
      statusUrl,
      children: result.children.map((child) => ({
        id: child.id,
        itwinId: child.itwinId,
        status: child.status,
        statusUrl: url(`/api/owner-changes/${child.id}`),
      })),
    },
  };
}
