/**
 * Route templates, the subset of ASP.NET routing syntax the app registers: literal segments (matched
 * case-insensitively, as the host does) and whole-segment `{name}` parameters. Anything else the host
 * would accept — constraints, optional and default values, catch-alls, complex segments — is refused
 * with a reason, so the runner never serves a route differently from Azure without saying so.
 * Pure core: compile once at start-up, match per request.
 */

import type { HttpTriggerInfo, RegisteredFunction } from "./registration.ts";

type Segment = { kind: "literal"; text: string } | { kind: "param"; name: string };

export interface CompiledRoute {
  /** The template as registered (without the route prefix). */
  template: string;
  /** The template including the prefix, for display: `api/owner-changes/{id}`. */
  fullTemplate: string;
  /** Per segment, 0 for a literal and 1 for a parameter: the host tries literals first. */
  precedence: number[];
  /** Matches a URL path (`/api/x/y`, still percent-encoded) and returns the route parameters. */
  match(path: string): Record<string, string> | undefined;
}

export type CompileResult = { ok: true; route: CompiledRoute } | { ok: false; syntax: string };

const PARAMETER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Names the first piece of syntax in a segment that is neither a literal nor a plain `{name}`. */
function unsupportedSyntax(segment: string): string {
  if (segment === "") return "an empty segment";
  if (segment.includes("{{") || segment.includes("}}")) return "an escaped brace";
  const body = /^\{([^{}]*)\}$/.exec(segment)?.[1];
  if (body === undefined) {
    return /^[^{}]*(\{[^{}]*\}[^{}]*)+$/.test(segment)
      ? `the complex segment '${segment}'`
      : `unbalanced braces in '${segment}'`;
  }
  if (body.startsWith("*")) return `the catch-all parameter '${segment}'`;
  const constraint = /:[^?=]*/.exec(body)?.[0];
  if (constraint !== undefined) return `route constraint '${constraint}'`;
  if (body.endsWith("?")) return `the optional parameter '${segment}'`;
  if (body.includes("=")) return `the default value in '${segment}'`;
  return `the parameter name in '${segment}'`;
}

function parseSegment(text: string): Segment | { syntax: string } {
  if (text !== "" && !text.includes("{") && !text.includes("}")) return { kind: "literal", text };
  const name = PARAMETER.exec(text)?.[1];
  return name === undefined ? { syntax: unsupportedSyntax(text) } : { kind: "param", name };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Joins the host's route prefix (already trimmed of slashes, possibly empty) and a function's route. */
export function joinRoute(prefix: string, route: string): string {
  return prefix === "" ? route : `${prefix}/${route}`;
}

/** Compiles a function's route under the route prefix, or names the syntax the runner does not serve. */
export function compileRoute(route: string, prefix = ""): CompileResult {
  const fullTemplate = joinRoute(prefix, route);
  const segments: Segment[] = [];
  for (const text of route.split("/")) {
    const segment = parseSegment(text);
    if ("syntax" in segment) return { ok: false, syntax: segment.syntax };
    segments.push(segment);
  }
  const names = segments.flatMap((s) => (s.kind === "param" ? [s.name] : []));
  const repeated = names.find((n, i) => names.findIndex((m) => m.toLowerCase() === n.toLowerCase()) !== i);
  if (repeated !== undefined) return { ok: false, syntax: `the repeated parameter '{${repeated}}'` };

  const prefixPattern = prefix === "" ? "" : `/${prefix.split("/").map(escapeRegex).join("/")}`;
  const segmentPattern = segments.map((s) => (s.kind === "literal" ? `/${escapeRegex(s.text)}` : "/([^/]+)"));
  const regex = new RegExp(`^${prefixPattern}${segmentPattern.join("")}/?$`, "i");
  return {
    ok: true,
    route: {
      template: route,
      fullTemplate,
      precedence: segments.map((s) => (s.kind === "literal" ? 0 : 1)),
      match(path) {
        const m = regex.exec(path);
        if (!m) return undefined;
        return Object.fromEntries(names.map((name, i) => [name, safeDecode(m[i + 1] as string)]));
      },
    },
  };
}

/** Orders routes the way the host tries them: at the first segment where they differ, literal first. */
export function compareRoutePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.min(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const diff = (a.precedence[i] as number) - (b.precedence[i] as number);
    if (diff !== 0) return diff;
  }
  return a.precedence.length - b.precedence.length;
}

export interface RouteEntry<T> {
  route: CompiledRoute;
  methods: readonly string[];
  value: T;
}

export type RouteLookup<T> =
  | { kind: "found"; entry: RouteEntry<T>; params: Record<string, string> }
  | { kind: "method-not-allowed"; allowed: string[] }
  | { kind: "not-found" };

/** Finds the route for a request: 404 when no template matches, 405 when only the method is wrong. */
export function lookupRoute<T>(
  entries: readonly RouteEntry<T>[],
  method: string,
  path: string,
): RouteLookup<T> {
  const sorted = [...entries].sort((a, b) => compareRoutePrecedence(a.route, b.route));
  const allowed = new Set<string>();
  const upper = method.toUpperCase();
  for (const entry of sorted) {
    const params = entry.route.match(path);
    if (!params) continue;
    const methods = entry.methods.map((m) => m.toUpperCase());
    if (methods.length === 0 || methods.includes(upper)) {
      return { kind: "found", entry, params };
    }
    for (const m of methods) allowed.add(m);
  }
  return allowed.size > 0 ? { kind: "method-not-allowed", allowed: [...allowed] } : { kind: "not-found" };
}

export type HttpFunction = RegisteredFunction & { trigger: HttpTriggerInfo };

export interface HttpRoute {
  fn: HttpFunction;
  route: CompiledRoute;
  /** Upper-case; empty means every method. */
  methods: readonly string[];
}

/**
 * The HTTP functions with their compiled routes. Throws, naming the function, the route and the syntax,
 * for a route the runner does not serve: start-up stops rather than serving it differently from Azure.
 */
export function httpRouteTable(functions: readonly RegisteredFunction[], routePrefix: string): HttpRoute[] {
  return functions
    .filter((f): f is HttpFunction => f.trigger.kind === "http")
    .map((fn) => {
      const compiled = compileRoute(fn.trigger.route, routePrefix);
      if (!compiled.ok) {
        throw new Error(
          `${compiled.syntax} in '${fn.trigger.route}' of function ${fn.name} is not supported by the local runner ` +
            "(it serves literal segments and {name} parameters, the syntax the app uses)",
        );
      }
      return { fn, route: compiled.route, methods: fn.trigger.methods };
    });
}
