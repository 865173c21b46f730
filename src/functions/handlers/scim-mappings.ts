import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import * as z from "zod";
import type { AcceptResult } from "../../changes/accept.ts";
import { parseJsonBody, validationProblem } from "../../changes/intake.ts";
import { httpChangeSchema } from "../../changes/model.ts";
import { systemClock } from "../../clock.ts";
import { problem, problemResponse, unavailableResponse } from "../../http/problem.ts";
import { invocationLogger } from "../../observability/log.ts";
import type { ScimGroup } from "../../scim/events.ts";
import { changeMapping } from "../../scim/ownership/change-mapping.ts";
import { itwinIdInName } from "../../scim/ownership/itwin-of-group.ts";
import { services } from "../../services.ts";

/**
 * `GET | PUT | DELETE /api/scim-mappings/{groupId}` (design §3): which iTwin a SCIM group stands for.
 * PUT `{ "itwinId": "…", "by": "…" }` maps it, DELETE unmaps it, each accepting the owner changes that
 * follow for the group's members (src/scim/ownership/change-mapping.ts) and listing them in the answer.
 * Admin-level key: a mapping makes people owners, so it is an administrator's call, like a decision.
 */

/** Group ids are the SCIM store's; anything else cannot be one, nor a table row key. */
export const GROUP_ID = /^[A-Za-z0-9._-]{1,128}$/;

const byField = z.string().trim().min(1).max(320).optional();
export const putSchema = z
  .strictObject({ itwinId: httpChangeSchema.shape.itwinId, by: byField })
  .meta({ id: "ScimMappingPut" });
export const deleteSchema = z.strictObject({ by: byField }).meta({ id: "ScimMappingDelete" });

export async function scimMappings(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const groupId = request.params.groupId ?? "";
  const noGroup = () =>
    problemResponse(problem("notFound", `No SCIM group has the id ${JSON.stringify(groupId)}`));
  if (!GROUP_ID.test(groupId)) return noGroup();
  const log = invocationLogger(context, { groupId });
  try {
    await services().ready();
    if (request.method === "GET") return await describeMapping(groupId, noGroup);
    const json = parseJsonBody((await request.text()) || "{}");
    if (!json.ok) return problemResponse(json.problem);
    // PUT maps, DELETE unmaps: one schema each, so a DELETE cannot carry an iTwin by mistake.
    const parsed = (request.method === "PUT" ? putSchema : deleteSchema).safeParse(json.value);
    if (!parsed.success) return problemResponse(validationProblem(parsed.error));
    const { itwinId, by }: { itwinId?: string; by?: string | undefined } = parsed.data;
    const { store, storage } = services();
    const { directory: scimDirectory, mappings } = await services().scim();
    const result = await changeMapping(
      { groupId, itwinId, requestedBy: by ?? "admin", correlationId: context.invocationId },
      {
        directory: scimDirectory,
        mappings,
        accept: { store, jobsQueue: storage.jobsQueue, clock: systemClock },
      },
    );
    if (result.kind === "no-group") return noGroup();
    if (result.kind === "conflict") {
      return problemResponse(
        problem(
          "conflict",
          `The mapping of group ${groupId} was changed by another request just now; read it again`,
        ),
      );
    }
    log.info(itwinId === undefined ? "SCIM group unmapped" : "SCIM group mapped", {
      itwinId,
      changes: result.results.length,
    });
    return {
      status: 200,
      jsonBody: {
        ...mappingView(result.group, itwinId),
        changes: result.results.map((accepted) => changeSummary(accepted, request.url)),
      },
    };
  } catch (error) {
    log.error("SCIM mapping failed", { error: (error as Error).message });
    return unavailableResponse("The mapping could not be read or stored; try again later");
  }
}

async function describeMapping(groupId: string, noGroup: () => HttpResponseInit): Promise<HttpResponseInit> {
  const { directory: scimDirectory, mappings } = await services().scim();
  const [group, mapping] = await Promise.all([scimDirectory.getGroup(groupId), mappings.get(groupId)]);
  if (group === undefined) return noGroup();
  return {
    status: 200,
    headers: { "cache-control": "no-store" },
    jsonBody: mappingView(group, mapping.itwinId),
  };
}

/** The group's iTwin, and whether its explicit mapping or its name gives it (null: neither, it changes nothing). */
function mappingView(group: ScimGroup, explicit: string | undefined) {
  const byName = itwinIdInName(group.displayName);
  return {
    groupId: group.id,
    displayName: group.displayName,
    itwinId: explicit ?? byName ?? null,
    mappedBy: explicit !== undefined ? "mapping" : byName !== undefined ? "name" : null,
  };
}

/** A change the mapping made, with where to follow it; a repeat of an earlier one shows that one. */
function changeSummary({ doc }: AcceptResult, requestUrl: string) {
  return {
    id: doc.id,
    itwinId: doc.itwinId,
    email: doc.email,
    action: doc.action,
    status: doc.status,
    statusUrl: new URL(`/api/owner-changes/${doc.id}`, requestUrl).toString(),
  };
}
