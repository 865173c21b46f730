import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import pMap from "p-map";
import { REQUEST_ID_PATTERN } from "../../changes/ids.ts";
import { systemClock } from "../../clock.ts";
import { problem, problemResponse, unavailableResponse } from "../../http/problem.ts";
import { invocationLogger } from "../../observability/log.ts";
import { childIdFor } from "../../people/plan.ts";
import { offboardingView } from "../../people/rollup.ts";
import { services } from "../../services.ts";

/** Children read at once: one point read each, and a leaver may own many iTwins. */
const READ_CONCURRENCY = 16;

/** `GET /api/offboardings/{id}` (design §3, §11): the parent, its rolled-up status and its children. */
export async function getOffboarding(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const id = request.params.id ?? "";
  const notFound = () =>
    problemResponse(problem("notFound", `No offboarding has the id ${JSON.stringify(id)}`));
  if (!REQUEST_ID_PATTERN.test(id)) return notFound();
  try {
    await services().ready();
    const { store, offboardings } = services();
    const record = await offboardings.get(id);
    if (record === undefined) return notFound();
    const childIds = record.itwinIds.map((itwinId) => childIdFor(record, itwinId));
    const docs = await pMap(childIds, async (childId) => (await store.get(childId))?.doc, {
      concurrency: READ_CONCURRENCY,
    });
    const view = offboardingView(record, childIds, docs, systemClock.now());
    const children = view.children.map((child) => ({
      ...child,
      statusUrl: new URL(`/api/owner-changes/${child.id}`, request.url).toString(),
    }));
    return { status: 200, jsonBody: { ...view, children }, headers: { "cache-control": "no-store" } };
  } catch (error) {
    invocationLogger(context, { requestId: id }).error("offboarding lookup failed", {
      error: (error as Error).message,
    });
    return unavailableResponse("The status store could not be read; try again later");
  }
}
