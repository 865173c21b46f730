import azureFunctions from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { appEnv, DEV_STORAGE } from "../../../dev/stack/credentials.ts";
import { EXAMPLE_SECRETS, EXAMPLES_DIR, examplePayload, jiraSignature } from "./examples.ts";

/**
 * `POST /api/sources/{name}` in-process, for every answer given before anything is stored: unknown
 * source, signature, media type, an unreadable or skipped event. (Accepted deliveries go through
 * storage: test/integration/sources.test.ts.)
 */

const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

let submitSourceEvent: typeof import("../../../src/functions/handlers/submit-source-event.ts").submitSourceEvent;

beforeAll(async () => {
  // Settings are read on first use; nothing here reaches the storage or the API they name.
  const app = appEnv({ connectionString: DEV_STORAGE }, { url: "http://127.0.0.1:9" });
  for (const [name, value] of Object.entries(app)) vi.stubEnv(name, value);
  vi.stubEnv("SOURCE_MAPPINGS_DIR", EXAMPLES_DIR);
  for (const [name, value] of Object.entries(EXAMPLE_SECRETS)) vi.stubEnv(name, value);
  ({ submitSourceEvent } = await import("../../../src/functions/handlers/submit-source-event.ts"));
});
afterAll(() => {
  vi.unstubAllEnvs();
});

async function post(name: string, body: string, headers: Record<string, string>) {
  const url = `http://127.0.0.1:7071/api/sources/${name}`;
  const request = new HttpRequest({ method: "POST", url, params: { name }, headers, body: { string: body } });
  const context = new InvocationContext({
    invocationId: "inv-7",
    functionName: "submitSourceEvent",
    logHandler: () => undefined,
  });
  const response = new HttpResponse(await submitSourceEvent(request, context));
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    correlation: response.headers.get("x-correlation-id"),
    json: (await response.json()) as Record<string, unknown>,
  };
}

const jira = examplePayload("jira-issue-updated.json").text;
const signed = (body: string) => ({
  "content-type": "application/json",
  "x-hub-signature": jiraSignature(body),
});

describe("POST /api/sources/{name} before storage", () => {
  it("answers 404 problem+json for a source no mapping names", async () => {
    expect(await post("zendesk", jira, signed(jira))).toMatchObject({
      status: 404,
      type: "application/problem+json",
      correlation: "inv-7",
      json: { type: "urn:itwin-owner-automation:problem:not-found", title: "No such source" },
    });
  });

  it("answers 401 for a missing or wrong signature, before reading the body as JSON", async () => {
    expect(await post("jira", jira, { "content-type": "application/json" })).toMatchObject({
      status: 401,
      json: {
        type: "urn:itwin-owner-automation:problem:invalid-signature",
        detail: "the X-Hub-Signature header is required",
      },
    });
    const forged = jira.replace("Add owner", "Remove owner");
    expect(await post("jira", forged, signed(jira))).toMatchObject({ status: 401 });
    expect(await post("jira", "not json", { "content-type": "application/json" })).toMatchObject({
      status: 401,
    });
  });

  it("answers 415 and 400 for a signed body that is not JSON", async () => {
    expect(await post("jira", jira, { ...signed(jira), "content-type": "text/plain" })).toMatchObject({
      status: 415,
    });
    expect(await post("jira", "{", signed("{"))).toMatchObject({
      status: 400,
      json: { type: "urn:itwin-owner-automation:problem:malformed-json" },
    });
  });

  it("answers 200 skipped, accepting nothing, for an event the filter leaves out", async () => {
    const created = jira.replace('"jira:issue_updated"', '"jira:issue_created"');
    expect(await post("jira", created, signed(created))).toEqual({
      status: 200,
      type: "application/json",
      correlation: "inv-7",
      json: { status: "skipped", detail: "the jira mapping's filter did not match this event" },
    });
  });

  it("answers 422 unreadable-event naming each field the mapping could not read", async () => {
    const empty = jira.replace(
      '"customfield_10050": "5e3b1a7e-8c1d-4f3a-9b2e-000000000003"',
      '"customfield_10050": null',
    );
    expect(empty).not.toBe(jira);
    expect(await post("jira", empty, signed(empty))).toMatchObject({
      status: 422,
      type: "application/problem+json",
      json: {
        type: "urn:itwin-owner-automation:problem:unreadable-event",
        detail: "The jira mapping cannot read: itwinId",
        errors: [{ path: "itwinId", message: "yields nothing" }],
      },
    });
  });
});
