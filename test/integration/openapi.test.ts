import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { openApiDocument } from "../../src/openapi/document.ts";
import { expectDocumented } from "../support/openapi-conformance.ts";
import { GROUP_SCHEMA, PATCH_OP, SCIM_MEDIA_TYPE, USER_SCHEMA } from "../support/scim-client.ts";
import { EXAMPLE_SECRETS, EXAMPLES_DIR, examplePayload, jiraSignature } from "../unit/sources/examples.ts";

/**
 * The OpenAPI document against the running app (runner, azurite, simulator): `GET /api/openapi.json`
 * serves the document the code generates, and real answers of every route family (success and
 * problem) parse with the schemas the document was generated from, naming no field the document lacks.
 */

const SCIM_TOKEN = "openapi-test-scim-token-0123456789abcdef";
let stack: AppStack;
let url = "";

beforeAll(async () => {
  stack = await startAppStack({
    env: { SCIM_BEARER_TOKENS: `idp=${SCIM_TOKEN}`, SOURCE_MAPPINGS_DIR: EXAMPLES_DIR, ...EXAMPLE_SECRETS },
  });
  url = stack.runner.url;
});
afterAll(async () => {
  await stack?.stop();
});

function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}
const scim = (method: string, path: string, body?: unknown) =>
  send(method, `/api/scim/v2${path}`, body, {
    authorization: `Bearer ${SCIM_TOKEN}`,
    "content-type": SCIM_MEDIA_TYPE,
  });

const FINAL = new Set(["succeeded", "failed", "rejected", "held"]);
function finished(statusUrl: string): Promise<StatusDocument> {
  return waitFor(
    async () => {
      const response = await fetch(statusUrl);
      const doc = response.status === 200 ? ((await response.json()) as StatusDocument) : undefined;
      return doc !== undefined && FINAL.has(doc.status) ? doc : undefined;
    },
    `a final status at ${statusUrl}\n${stack.runner.logs()}`,
    30_000,
    100,
  );
}

describe("GET /api/openapi.json through the runner", () => {
  it("serves the document the code generates", async () => {
    const response = await send("GET", "/api/openapi.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });
});

describe("real answers match the document", () => {
  const change = { itwinId: SEEDED_ITWINS.waterPlant, email: "olga@corp.example", action: "add", id: "OA-1" };
  let statusUrl = "";

  it("owner changes: submit, batch, status, decisions and their problems", async () => {
    const accepted = (await expectDocumented(
      await send("POST", "/api/owner-changes", change),
      "/api/owner-changes",
      "post",
    )) as {
      statusUrl: string;
    };
    statusUrl = accepted.statusUrl;
    const doc = await finished(statusUrl);
    expect(doc).toMatchObject({ status: "succeeded", outcome: "added" });
    await expectDocumented(await fetch(statusUrl), "/api/owner-changes/{id}", "get");

    // A batch whose second item reuses the first change's id with another payload: one of each item kind.
    const batch = await send("POST", "/api/owner-changes", {
      changes: [
        { ...change, id: "OA-2", email: "pia@corp.example" },
        { ...change, email: "someone-else@corp.example" },
      ],
    });
    const items = (await expectDocumented(batch, "/api/owner-changes", "post")) as { items: object[] };
    expect(items.items.map((item) => Object.keys(item).sort().join())).toEqual([
      "id,index,status,statusUrl",
      "error,index",
    ]);

    const problems: [Response, string, "get" | "post"][] = [
      [await send("POST", "/api/owner-changes", { ...change, email: "nope" }), "/api/owner-changes", "post"],
      [await send("POST", "/api/owner-changes", "{", {}), "/api/owner-changes", "post"],
      [
        await send("POST", "/api/owner-changes", "x", { "content-type": "text/plain" }),
        "/api/owner-changes",
        "post",
      ],
      [
        await send("POST", "/api/owner-changes", { ...change, email: "other@corp.example" }),
        "/api/owner-changes",
        "post",
      ],
      [await send("GET", "/api/owner-changes/r-doesnotexist"), "/api/owner-changes/{id}", "get"],
      [
        await send("POST", `/api/owner-changes/${doc.id}/approve`, { by: "ops@corp.example" }),
        "/api/owner-changes/{id}/approve",
        "post",
      ],
      [
        await send("POST", `/api/owner-changes/${doc.id}/reject`, { by: "" }),
        "/api/owner-changes/{id}/reject",
        "post",
      ],
    ];
    for (const [response, path, method] of problems) await expectDocumented(response, path, method);
    expect(problems.map(([response]) => response.status)).toEqual([400, 400, 415, 422, 404, 409, 400]);
  });

  it("the query API and its summary", async () => {
    await expectDocumented(
      await send("GET", `/api/owner-changes?itwinId=${SEEDED_ITWINS.waterPlant}&limit=1`),
      "/api/owner-changes",
      "get",
    );
    await expectDocumented(
      await send("GET", "/api/owner-changes?since=yesterday"),
      "/api/owner-changes",
      "get",
    );
    await expectDocumented(
      await send("GET", "/api/owner-changes/summary?bucket=hour"),
      "/api/owner-changes/summary",
      "get",
    );
  });

  it("offboarding: the parent, then the offboarding with its children", async () => {
    const email = encodeURIComponent(change.email);
    const parent = (await expectDocumented(
      await send("POST", `/api/people/${email}/offboard`, { reason: "left" }),
      "/api/people/{email}/offboard",
      "post",
    )) as { statusUrl: string; children: unknown[] };
    expect(parent.children).toHaveLength(1);
    await expectDocumented(await fetch(parent.statusUrl), "/api/offboardings/{id}", "get");
    await expectDocumented(
      await send("POST", `/api/people/${email}/offboard`, { dryRun: "yes" }),
      "/api/people/{email}/offboard",
      "post",
    );
    await expectDocumented(
      await send("GET", "/api/offboardings/r-doesnotexist"),
      "/api/offboardings/{id}",
      "get",
    );
  });

  it("mapped webhooks: accepted, several, skipped and refused", async () => {
    const { text } = examplePayload("jira-issue-updated.json");
    await expectDocumented(
      await send("POST", "/api/sources/jira", text, { "x-hub-signature": jiraSignature(text) }),
      "/api/sources/{name}",
      "post",
    );
    const skipped = text.replace('"toString": "Done"', '"toString": "In Review"');
    const answers = [
      await send("POST", "/api/sources/jira", skipped, { "x-hub-signature": jiraSignature(skipped) }),
      await send("POST", "/api/sources/servicenow", examplePayload("servicenow-catalog-task.json").text),
      await send("POST", "/api/sources/jira", text),
      await send("POST", "/api/sources/zendesk", text),
    ];
    for (const answer of answers) await expectDocumented(answer, "/api/sources/{name}", "post");
    expect(answers.map((answer) => answer.status)).toEqual([200, 202, 401, 404]);
  });

  it("SCIM resources, discovery and SCIM errors; the group's mapping", async () => {
    const user = (await expectDocumented(
      await scim("POST", "/Users", {
        schemas: [USER_SCHEMA],
        userName: "quinn@corp.example",
        active: true,
        emails: [{ value: "quinn@corp.example", type: "work", primary: true }],
      }),
      "/api/scim/v2/Users",
      "post",
    )) as { id: string };
    const group = (await expectDocumented(
      await scim("POST", "/Groups", {
        schemas: [GROUP_SCHEMA],
        displayName: `Water plant owners ${SEEDED_ITWINS.waterPlant}`,
        members: [{ value: user.id }],
      }),
      "/api/scim/v2/Groups",
      "post",
    )) as { id: string };
    const patch = { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: true } }] };
    await expectDocumented(
      await scim("PATCH", `/Users/${user.id}`, patch),
      "/api/scim/v2/Users/{id}",
      "patch",
    );
    await expectDocumented(
      await scim("GET", '/Users?filter=userName eq "quinn@corp.example"'),
      "/api/scim/v2/Users",
      "get",
    );
    await expectDocumented(await scim("GET", "/Users/no-such-user"), "/api/scim/v2/Users/{id}", "get");
    await expectDocumented(
      await scim("GET", "/ServiceProviderConfig"),
      "/api/scim/v2/ServiceProviderConfig",
      "get",
    );
    await expectDocumented(await scim("GET", "/Schemas"), "/api/scim/v2/Schemas", "get");
    await expectDocumented(
      await scim("GET", "/ResourceTypes/User"),
      "/api/scim/v2/ResourceTypes/{id}",
      "get",
    );

    const mapping = `/api/scim-mappings/${group.id}`;
    await expectDocumented(await send("GET", mapping), "/api/scim-mappings/{groupId}", "get");
    const mapped = (await expectDocumented(
      await send("PUT", mapping, { itwinId: SEEDED_ITWINS.railYard, by: "ops@corp.example" }),
      "/api/scim-mappings/{groupId}",
      "put",
    )) as { changes: unknown[] };
    expect(mapped.changes.length).toBeGreaterThan(0);
    await expectDocumented(await send("DELETE", mapping, {}), "/api/scim-mappings/{groupId}", "delete");
    await expectDocumented(
      await send("PUT", mapping, { itwinId: "x" }),
      "/api/scim-mappings/{groupId}",
      "put",
    );
    await expectDocumented(
      await send("GET", "/api/scim-mappings/nope"),
      "/api/scim-mappings/{groupId}",
      "get",
    );
  });

  it("poison queues, health, the ops page", async () => {
    await expectDocumented(await send("GET", "/api/poison/requests"), "/api/poison/{queue}", "get");
    await expectDocumented(await send("GET", "/api/poison/other"), "/api/poison/{queue}", "get");
    await expectDocumented(
      await send("POST", "/api/poison/jobs/replay", { all: true, dryRun: true }),
      "/api/poison/{queue}/replay",
      "post",
    );
    await expectDocumented(
      await send("POST", "/api/poison/jobs/replay", {}),
      "/api/poison/{queue}/replay",
      "post",
    );
    await expectDocumented(await send("GET", "/api/health"), "/api/health", "get");
    expect(await expectDocumented(await send("GET", "/api/ops"), "/api/ops", "get")).toMatch(/<html/i);
  });
});
