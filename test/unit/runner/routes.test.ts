import { describe, expect, it } from "vitest";
import type { RouteEntry } from "../../../dev/runner/routes.ts";
import { compileRoute, joinRoute, lookupRoute, RouteTemplateError } from "../../../dev/runner/routes.ts";

describe("compileRoute", () => {
  it("matches literal segments case-insensitively under the prefix, with or without a trailing slash", () => {
    const route = compileRoute("owner-changes", "api");
    expect(route.fullTemplate).toBe("api/owner-changes");
    expect(route.match("/api/owner-changes")).toEqual({});
    expect(route.match("/API/Owner-Changes/")).toEqual({});
    expect(route.match("/api/owner-changes/x")).toBeUndefined();
    expect(route.match("/owner-changes")).toBeUndefined();
  });

  it("extracts and percent-decodes parameters", () => {
    const route = compileRoute("owner-changes/{id}", "api");
    expect(route.match("/api/owner-changes/HR-4711")).toEqual({ id: "HR-4711" });
    expect(route.match("/api/owner-changes/a%20b%2Fc")).toEqual({ id: "a b/c" });
    expect(route.match("/api/owner-changes")).toBeUndefined();
    expect(route.match("/api/owner-changes/a/b")).toBeUndefined();
  });

  it("supports optional parameters and defaults", () => {
    const optional = compileRoute("items/{id?}", "api");
    expect(optional.match("/api/items")).toEqual({});
    expect(optional.match("/api/items/7")).toEqual({ id: "7" });
    const withDefault = compileRoute("pages/{page=1}", "api");
    expect(withDefault.match("/api/pages")).toEqual({ page: "1" });
    expect(withDefault.match("/api/pages/3")).toEqual({ page: "3" });
  });

  it("supports catch-all parameters ({*rest} and {**rest})", () => {
    const route = compileRoute("files/{*path}", "api");
    expect(route.match("/api/files/a/b%20c/d.txt")).toEqual({ path: "a/b c/d.txt" });
    expect(route.match("/api/files")).toEqual({});
    expect(compileRoute("x/{**rest}", "").match("/x/1/2")).toEqual({ rest: "1/2" });
    expect(() => compileRoute("{*rest}/tail", "api")).toThrow(RouteTemplateError);
  });

  it("checks common inline constraints", () => {
    const guid = compileRoute("itwins/{id:guid}", "api");
    expect(guid.match("/api/itwins/5e3b1a7e-1111-4222-8333-444455556666")).toEqual({
      id: "5e3b1a7e-1111-4222-8333-444455556666",
    });
    expect(guid.match("/api/itwins/not-a-guid")).toBeUndefined();
    const int = compileRoute("n/{n:int:min(1):max(10)}", "");
    expect(int.match("/n/5")).toEqual({ n: "5" });
    expect(int.match("/n/0")).toBeUndefined();
    expect(int.match("/n/11")).toBeUndefined();
    expect(int.match("/n/x")).toBeUndefined();
    expect(compileRoute("a/{s:alpha:length(2,3)}", "").match("/a/abc")).toEqual({ s: "abc" });
    expect(compileRoute("a/{s:alpha:length(2,3)}", "").match("/a/abcd")).toBeUndefined();
    expect(compileRoute("b/{v:bool}", "").match("/b/TRUE")).toEqual({ v: "TRUE" });
  });

  it("accepts regex constraints, including escaped braces", () => {
    const route = compileRoute("codes/{code:regex(^[a-z]{{3}}$)}", "api");
    expect(route.match("/api/codes/abc")).toEqual({ code: "abc" });
    expect(route.match("/api/codes/abcd")).toBeUndefined();
  });

  it("ignores (but reports) constraints it does not know", () => {
    const route = compileRoute("x/{id:fancy}", "api");
    expect(route.unknownConstraints).toEqual(["fancy"]);
    expect(route.match("/api/x/anything")).toEqual({ id: "anything" });
  });

  it("matches complex segments like {name}.{ext}", () => {
    const route = compileRoute("dl/{name}.{ext}", "");
    expect(route.match("/dl/report.final.pdf")).toEqual({ name: "report.final", ext: "pdf" });
    expect(route.match("/dl/report")).toBeUndefined();
  });

  it("works with an empty route prefix", () => {
    expect(joinRoute("", "/health")).toBe("health");
    expect(joinRoute("/api/", "~/health/")).toBe("api/health");
    expect(compileRoute("health", "").match("/health")).toEqual({});
  });

  it("rejects malformed templates with a readable error", () => {
    expect(() => compileRoute("a/{id", "api")).toThrow(/unbalanced|unclosed/);
    expect(() => compileRoute("a/{id}/{id}", "api")).toThrow(/twice/);
    expect(() => compileRoute("a//b", "api")).toThrow(/empty segment/);
  });
});

describe("lookupRoute", () => {
  const entry = (route: string, methods: string[], value: string): RouteEntry<string> => ({
    route: compileRoute(route, "api"),
    methods,
    value,
  });
  const table = [
    entry("owner-changes/{id}", ["GET"], "status"),
    entry("owner-changes", ["POST"], "intake"),
    entry("owner-changes/summary", ["GET"], "summary"),
    entry("files/{*rest}", [], "files"),
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
  });

  it("prefers literal segments over parameters regardless of registration order", () => {
    expect(lookupRoute(table, "GET", "/api/owner-changes/summary")).toMatchObject({
      entry: { value: "summary" },
    });
  });

  it("answers 405 with the allowed methods when only the method is wrong, else 404", () => {
    expect(lookupRoute(table, "DELETE", "/api/owner-changes")).toEqual({
      kind: "method-not-allowed",
      allowed: ["POST"],
    });
    expect(lookupRoute(table, "GET", "/api/unknown")).toEqual({ kind: "not-found" });
  });

  it("treats an empty method list as every method", () => {
    expect(lookupRoute(table, "PATCH", "/api/files/x")).toMatchObject({
      kind: "found",
      entry: { value: "files" },
    });
  });
});
