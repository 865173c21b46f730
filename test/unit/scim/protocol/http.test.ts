import azureFunctions from "@azure/functions";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../../../src/clock.ts";
import { createBearerCheck } from "../../../../src/http/bearer-tokens.ts";
import { handleScim, type ScimHttpDeps } from "../../../../src/scim/http.ts";
import type { ScimStore } from "../../../../src/scim/resources.ts";

/**
 * The SCIM routes' shell in-process, for the answers given before storage: no SCIM configured, no or a
 * wrong token, unknown endpoints and methods, the discovery endpoints. (Storage: the integration tests.)
 */

const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;
const TOKEN = "t".repeat(40);

/** Deps whose store and sink fail the test if touched, and which count readiness checks. */
function deps(configured = true) {
  const touched: string[] = [];
  const store = new Proxy({} as ScimStore, {
    get: (_target, name) => () => {
      touched.push(String(name));
      throw new Error(`the store was used: ${String(name)}`);
    },
  });
  const value: ScimHttpDeps = {
    checkBearer: configured ? createBearerCheck([{ name: "entra", token: TOKEN }]) : undefined,
    store,
    sink: async () => {
      touched.push("sink");
    },
    newId: () => "id-1",
    clock: systemClock,
    ready: async () => {
      touched.push("ready");
    },
  };
  return { value, touched };
}

async function call(
  scim: ScimHttpDeps,
  method: string,
  params: Record<string, string>,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
) {
  const path = [params.resource, params.id].filter(Boolean).join("/");
  const request = new HttpRequest({
    method,
    url: `http://127.0.0.1:7071/api/scim/v2/${path}`,
    params,
    headers,
  });
  const context = new InvocationContext({
    invocationId: "inv-1",
    functionName: "scim",
    logHandler: () => undefined,
  });
  const response = new HttpResponse(await handleScim(request, context, scim));
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

describe("handleScim", () => {
  it("answers 404 on every route when SCIM_BEARER_TOKENS is not set, whatever the token", async () => {
    const { value, touched } = deps(false);
    for (const resource of ["Users", "ServiceProviderConfig"]) {
      const answer = await call(value, "GET", { resource });
      expect(answer.status).toBe(404);
      expect(answer.headers.get("content-type")).toBe("application/scim+json");
    }
    expect(touched).toEqual([]);
  });

  it.each([
    ["no Authorization header", {}],
    ["a wrong token", { authorization: `Bearer ${"x".repeat(40)}` }],
    ["a function key instead", { "x-functions-key": TOKEN }],
  ])(
    "answers 401 with a SCIM error and WWW-Authenticate for %s, touching nothing",
    async (_name, headers) => {
      const { value, touched } = deps();
      const answer = await call(value, "POST", { resource: "Users" }, headers);
      expect(answer.status).toBe(401);
      expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="scim"');
      expect(answer.body).toMatchObject({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
        status: "401",
      });
      expect(touched).toEqual([]);
    },
  );

  it("serves discovery to a valid token, and refuses writes to it", async () => {
    const { value } = deps();
    expect((await call(value, "GET", { resource: "serviceproviderconfig" })).body).toMatchObject({
      patch: { supported: true },
    });
    expect((await call(value, "GET", { resource: "ResourceTypes", id: "Group" })).body).toMatchObject({
      id: "Group",
    });
    expect((await call(value, "DELETE", { resource: "Schemas", id: "x" })).status).toBe(405);
  });

  it("answers 404 for an unknown endpoint or an id that cannot be ours, without reading storage", async () => {
    const { value, touched } = deps();
    expect((await call(value, "GET", { resource: "Widgets" })).status).toBe(404);
    expect((await call(value, "GET", { resource: "Users", id: "a b" })).status).toBe(404);
    expect(touched.filter((name) => name !== "ready")).toEqual([]);
  });

  it("answers 500 without detail when storage fails, so nothing it said leaks", async () => {
    const { value } = deps();
    const answer = await call(value, "GET", { resource: "Users", id: "u-1" });
    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.body)).not.toContain("store was used");
  });
});
