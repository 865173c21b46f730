import { describe, expect, it } from "vitest";
import type { CompiledRoute, RouteEntry } from "../../../dev/runner/routes.ts";
import { compileRoute, joinRoute, lookupRoute } from "../../../dev/runner/routes.ts";

function compiled(route: string, prefix = "api"): CompiledRoute {
  const result = compileRoute(route, prefix);
  if (!result.ok) throw new Error(`expected "${route}" to compile, got: ${result.syntax}`);
  return result.route;
}

function refusal(route: string): string | undefined {
  const result = compileRoute(route, "api");
  return result.ok ? undefined : result.syntax;
}

describe("compileRoute: the syntax the app uses", () => {
  it("matches literal segments case-insensitively under the prefix, with or without a trailing slash", () => {
    const route = compiled("owner-changes");
    expect(route.fullTemplate).toBe("api/owner-changes");
    expect(route.match("/api/owner-changes")).toEqual({});
    expect(route.match("/API/Owner-Changes/")).toEqual({});
    expect(route.match("/api/owner-changes/x")).toBeUndefined();
    expect(route.match("/owner-changes")).toBeUndefined();
    expect(route.match("/api/owner-changesX")).toBeUndefined();
  });

  it("takes literal text as text, not as a pattern", () => {
    const route = compiled("a.b");
    expect(route.match("/api/a.b")).toEqual({});
    expect(route.match("/api/aXb")).toBeUndefined();
  });

  it("extracts and percent-decodes {name} parameters, one segment each", () => {
    const route = compiled("owner-changes/{id}");
    expect(route.match("/api/owner-changes/HR-4711")).toEqual({ id: "HR-4711" });
    expect(route.match("/api/owner-changes/a%20b%2Fc")).toEqual({ id: "a b/c" });
    expect(route.match("/api/owner-changes/%E0%A4%A")).toEqual({ id: "%E0%A4%A" });
    expect(route.match("/api/owner-changes")).toBeUndefined();
    expect(route.match("/api/owner-changes/a/b")).toBeUndefined();
  });

  it("serves every route the app registers", () => {
    expect(compiled("health").match("/api/health")).toEqual({});
    expect(compiled("owner-changes").match("/api/owner-changes")).toEqual({});
    expect(compiled("owner-changes/{id}").match("/api/owner-changes/r-1")).toEqual({ id: "r-1" });
    expect(compiled("owner-changes/{id}/{decision}").match("/api/owner-changes/r-1/approve")).toEqual({
      id: "r-1",
      decision: "approve",
    });
  });

  it("works with an empty route prefix", () => {
    expect(joinRoute("", "health")).toBe("health");
    expect(joinRoute("api", "health")).toBe("api/health");
    expect(compiled("health", "").match("/health")).toEqual({});
    expect(compiled("health", "").match("/api/health")).toBeUndefined();
  });
});

describe("compileRoute: refuses what the app does not use, naming it", () => {
  it.each([
    ["owner-changes/{id:int}", "route constraint ':int'"],
    ["n/{n:int:min(1)}", "route constraint ':int:min(1)'"],
    ["n/{n:int?}", "route constraint ':int'"],
    ["items/{id?}", "the optional parameter '{id?}'"],
    ["pages/{page=1}", "the default value in '{page=1}'"],
    ["files/{*path}", "the catch-all parameter '{*path}'"],
    ["files/{**path}", "the catch-all parameter '{**path}'"],
    ["dl/{name}.{ext}", "the complex segment '{name}.{ext}'"],
    ["v{version}/x", "the complex segment 'v{version}'"],
    ["a/{id", "unbalanced braces in '{id'"],
    ["a/id}", "unbalanced braces in 'id}'"],
    ["codes/{{x}}", "an escaped brace"],
    ["a/{}", "the parameter name in '{}'"],
    ["a/{my-id}", "the parameter name in '{my-id}'"],
    ["a//b", "an empty segment"],
    ["/health", "an empty segment"],
    ["health/", "an empty segment"],
    ["a/{id}/{ID}", "the repeated parameter '{ID}'"],
  ])("%s: %s", (route, syntax) => {
    expect(refusal(route)).toBe(syntax);
  });
});

describe("lookupRoute", () => {
  const entry = (route: string, methods: string[], value: string): RouteEntry<string> => ({
    route: compiled(route),
    methods,
    value,
  });
  const table = [
    entry("owner-changes/{id}", ["GET"], "status"),
    entry("owner-changes", ["POST"], "intake"),
    entry("owner-changes/summary", ["GET"], "summary"),
    entry("owner-changes/{id}/{decision}", ["POST"], "decide"),
    entry("anything", [], "anything"),
  ];

  it("finds the route and its params", () => {
    expect(lookupRoute(table, "get", "/api/owner-changes/abc")).toMatchObject({
      kind: "found",
      entry: { value: "status" },
      params: { id: "abc" },
    });
    expect(lookupRoute(table, "POST", "/api/owner-changes")).toMatchObject({
      kind: "found",
      entry: { value: "intake" },
    });
    expect(lookupRoute(table, "POST", "/api/owner-changes/abc/reject")).toMatchObject({
      kind: "found",
      entry: { value: "decide" },
      params: { id: "abc", decision: "reject" },
    });
  });

  it("prefers literal segments over parameters regardless of registration order", () => {
    expect(lookupRoute(table, "GET", "/api/owner-changes/summary")).toMatchObject({
      entry: { value: "summary" },
    });
    expect(lookupRoute([...table].reverse(), "GET", "/api/owner-changes/summary")).toMatchObject({
      entry: { value: "summary" },
    });
  });

  it("answers 405 with the allowed methods when only the method is wrong, else 404", () => {
    expect(lookupRoute(table, "DELETE", "/api/owner-changes")).toEqual({
      kind: "method-not-allowed",
      allowed: ["POST"],
    });
    expect(lookupRoute(table, "PUT", "/api/owner-changes/summary")).toEqual({
      kind: "method-not-allowed",
      allowed: ["GET"],
    });
    expect(lookupRoute(table, "GET", "/api/unknown")).toEqual({ kind: "not-found" });
  });

  it("treats an empty method list as every method", () => {
    expect(lookupRoute(table, "PATCH", "/api/anything")).toMatchObject({
      kind: "found",
      entry: { value: "anything" },
    });
  });
});
