/**
 * Route templates as the Functions host reads them (ASP.NET routing syntax): literal segments
 * (case-insensitive), `{name}`, optional `{name?}`, defaults `{name=value}`, catch-all `{*rest}` /
 * `{**rest}`, inline constraints `{id:guid}`, `{n:int:min(1)}`, `{code:regex(^[a-z]{{3}}$)}`, and
 * complex segments such as `{file}.{ext}`. Pure: compile once, match per request.
 */

export interface RouteParameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue: string | undefined;
  constraints: RouteConstraint[];
}

export interface RouteConstraint {
  name: string;
  args: string[];
  /** False for constraints this runner does not know; they are ignored (the host would enforce them). */
  known: boolean;
  test(value: string): boolean;
}

type Part = { kind: "literal"; text: string } | { kind: "param"; param: RouteParameter };

interface Segment {
  parts: Part[];
}

export interface CompiledRoute {
  /** The template as registered (without the route prefix). */
  template: string;
  /** The template including the prefix, for display: `api/owner-changes/{id}`. */
  fullTemplate: string;
  parameters: RouteParameter[];
  /** Unknown constraint names found in the template (ignored when matching). */
  unknownConstraints: string[];
  /** Lower sorts first: literal segments beat parameters, which beat catch-alls. */
  precedence: number[];
  /** Matches a URL path (`/api/x/y`, still percent-encoded) and returns the route parameters. */
  match(path: string): Record<string, string> | undefined;
}

export class RouteTemplateError extends Error {
  override name = "RouteTemplateError";
}

function splitTopLevel(template: string): string[] {
  const segments: string[] = [];
  let current = "";
  let braceDepth = 0;
  let parenDepth = 0;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    if (braceDepth === 0 && ch === "{" && template[i + 1] === "{") {
      current += "{{";
      i++;
      continue;
    }
    if (braceDepth === 0 && ch === "}" && template[i + 1] === "}") {
      current += "}}";
      i++;
      continue;
    }
    if (ch === "{" && parenDepth === 0) {
      braceDepth++;
    } else if (ch === "}" && parenDepth === 0) {
      braceDepth--;
    } else if (braceDepth > 0 && ch === "(") {
      parenDepth++;
    } else if (braceDepth > 0 && ch === ")") {
      parenDepth = Math.max(0, parenDepth - 1);
    }
    if (ch === "/" && braceDepth === 0) {
      segments.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (braceDepth !== 0) {
    throw new RouteTemplateError(`route "${template}": unbalanced braces`);
  }
  segments.push(current);
  return segments;
}

function parseSegment(text: string, template: string): Segment {
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "{" && text[i + 1] === "{") {
      literal += "{";
      i++;
      continue;
    }
    if (ch === "}" && text[i + 1] === "}") {
      literal += "}";
      i++;
      continue;
    }
    if (ch === "{") {
      // Find the closing brace at paren depth 0; `}}` inside a constraint is an escaped brace.
      let depth = 0;
      let j = i + 1;
      let body = "";
      for (; j < text.length; j++) {
        const c = text[j] as string;
        if (c === "(") depth++;
        if (c === ")") depth = Math.max(0, depth - 1);
        if (c === "}" && text[j + 1] === "}" && depth > 0) {
          body += "}";
          j++;
          continue;
        }
        if (c === "{" && text[j + 1] === "{" && depth > 0) {
          body += "{";
          j++;
          continue;
        }
        if (c === "}" && depth === 0) break;
        body += c;
      }
      if (j >= text.length) {
        throw new RouteTemplateError(`route "${template}": unclosed parameter in "${text}"`);
      }
      if (literal !== "") {
        parts.push({ kind: "literal", text: literal });
        literal = "";
      }
      parts.push({ kind: "param", param: parseParameter(body, template) });
      i = j;
      continue;
    }
    literal += ch;
  }
  if (literal !== "") {
    parts.push({ kind: "literal", text: literal });
  }
  return { parts };
}

function parseParameter(body: string, template: string): RouteParameter {
  let rest = body.trim();
  let catchAll = false;
  if (rest.startsWith("**")) {
    catchAll = true;
    rest = rest.slice(2);
  } else if (rest.startsWith("*")) {
    catchAll = true;
    rest = rest.slice(1);
  }
  const nameMatch = /^[^:?=]+/.exec(rest);
  if (!nameMatch) {
    throw new RouteTemplateError(`route "${template}": parameter "{${body}}" has no name`);
  }
  const name = nameMatch[0].trim();
  rest = rest.slice(nameMatch[0].length);
  const constraints: RouteConstraint[] = [];
  while (rest.startsWith(":")) {
    rest = rest.slice(1);
    const cName = /^[A-Za-z][A-Za-z0-9_]*/.exec(rest)?.[0];
    if (!cName) {
      throw new RouteTemplateError(`route "${template}": bad constraint in "{${body}}"`);
    }
    rest = rest.slice(cName.length);
    let argText: string | undefined;
    if (rest.startsWith("(")) {
      let depth = 0;
      let k = 0;
      for (; k < rest.length; k++) {
        if (rest[k] === "(") depth++;
        if (rest[k] === ")") {
          depth--;
          if (depth === 0) break;
        }
      }
      if (depth !== 0) {
        throw new RouteTemplateError(`route "${template}": unclosed "(" in "{${body}}"`);
      }
      argText = rest.slice(1, k);
      rest = rest.slice(k + 1);
    }
    constraints.push(makeConstraint(cName, argText));
  }
  let optional = false;
  let defaultValue: string | undefined;
  if (rest.startsWith("?")) {
    optional = true;
    rest = rest.slice(1);
  } else if (rest.startsWith("=")) {
    defaultValue = rest.slice(1);
    rest = "";
  }
  if (rest.trim() !== "") {
    throw new RouteTemplateError(`route "${template}": unexpected "${rest}" in "{${body}}"`);
  }
  return { name, optional: optional || catchAll, catchAll, defaultValue, constraints };
}

const INT32 = { min: -2147483648, max: 2147483647 };
const isInteger = (v: string) => /^-?\d+$/.test(v);
const isNumber = (v: string) => v.trim() !== "" && Number.isFinite(Number(v));

function makeConstraint(name: string, argText: string | undefined): RouteConstraint {
  const args = argText === undefined ? [] : name.toLowerCase() === "regex" ? [argText] : argText.split(",");
  const nums = args.map((a) => Number(a.trim()));
  const known = (test: (v: string) => boolean): RouteConstraint => ({ name, args, known: true, test });
  switch (name.toLowerCase()) {
    case "int":
      return known((v) => isInteger(v) && Number(v) >= INT32.min && Number(v) <= INT32.max);
    case "long":
      return known(isInteger);
    case "bool":
      return known((v) => /^(true|false)$/i.test(v));
    case "guid":
      return known((v) =>
        /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[})]?$/i.test(v),
      );
    case "alpha":
      return known((v) => /^[a-z]+$/i.test(v));
    case "decimal":
    case "double":
    case "float":
      return known(isNumber);
    case "datetime":
      return known((v) => !Number.isNaN(Date.parse(v)));
    case "min":
      return known((v) => isInteger(v) && Number(v) >= (nums[0] ?? Number.NEGATIVE_INFINITY));
    case "max":
      return known((v) => isInteger(v) && Number(v) <= (nums[0] ?? Number.POSITIVE_INFINITY));
    case "range":
      return known((v) => isInteger(v) && Number(v) >= (nums[0] ?? 0) && Number(v) <= (nums[1] ?? 0));
    case "length":
      return known((v) =>
        nums.length >= 2 ? v.length >= (nums[0] ?? 0) && v.length <= (nums[1] ?? 0) : v.length === nums[0],
      );
    case "minlength":
      return known((v) => v.length >= (nums[0] ?? 0));
    case "maxlength":
      return known((v) => v.length <= (nums[0] ?? Number.POSITIVE_INFINITY));
    case "required":
      return known((v) => v !== "");
    case "regex": {
      let re: RegExp;
      try {
        re = new RegExp(args[0] ?? "", "i");
      } catch (error) {
        throw new RouteTemplateError(`bad regex constraint "${args[0]}": ${(error as Error).message}`);
      }
      return known((v) => re.test(v));
    }
    default:
      return { name, args, known: false, test: () => true };
  }
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

/** Joins the host's route prefix and a function's route into one template. */
export function joinRoute(prefix: string, route: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, "");
  const r = route.replace(/^~?\/+/, "").replace(/\/+$/, "");
  return [p, r].filter((s) => s !== "").join("/");
}

/**
 * Compiles a function's route (default: the function name) under the route prefix.
 */
export function compileRoute(route: string, prefix = ""): CompiledRoute {
  const fullTemplate = joinRoute(prefix, route);
  const rawSegments = fullTemplate === "" ? [] : splitTopLevel(fullTemplate);
  const segments = rawSegments.map((s) => parseSegment(s, route));
  const parameters: RouteParameter[] = [];
  const unknownConstraints: string[] = [];
  const precedence: number[] = [];
  let pattern = "^";
  const groups: RouteParameter[] = [];

  segments.forEach((segment, index) => {
    const isLast = index === segments.length - 1;
    if (segment.parts.length === 0) {
      throw new RouteTemplateError(`route "${route}": empty segment`);
    }
    for (const part of segment.parts) {
      if (part.kind === "param") {
        if (parameters.some((p) => p.name.toLowerCase() === part.param.name.toLowerCase())) {
          throw new RouteTemplateError(`route "${route}": parameter "${part.param.name}" appears twice`);
        }
        if (part.param.catchAll && !isLast) {
          throw new RouteTemplateError(`route "${route}": a catch-all parameter must be the last segment`);
        }
        parameters.push(part.param);
        for (const c of part.param.constraints) {
          if (!c.known) unknownConstraints.push(c.name);
        }
      }
    }
    const only = segment.parts.length === 1 ? segment.parts[0] : undefined;
    if (only?.kind === "literal") {
      precedence.push(1);
      pattern += `/${escapeRegex(only.text)}`;
    } else if (only?.kind === "param") {
      const p = only.param;
      groups.push(p);
      if (p.catchAll) {
        precedence.push(5);
        pattern += "(?:/(.*))?";
      } else {
        precedence.push(p.constraints.length > 0 ? 3 : 4);
        pattern += p.optional || p.defaultValue !== undefined ? "(?:/([^/]+))?" : "/([^/]+)";
      }
    } else {
      precedence.push(2);
      let inner = "";
      for (const part of segment.parts) {
        if (part.kind === "literal") {
          inner += escapeRegex(part.text);
        } else {
          groups.push(part.param);
          // Greedy, like ASP.NET matching complex segments right to left: {name}.{ext} on a.b.c → a.b + c.
          inner += part.param.optional ? "(.*)" : "(.+)";
        }
      }
      pattern += `/${inner}`;
    }
  });
  pattern += "/?$";
  const regex = new RegExp(pattern, "i");

  return {
    template: route,
    fullTemplate,
    parameters,
    unknownConstraints,
    precedence,
    match(path: string) {
      const m = regex.exec(path === "" ? "/" : path);
      if (!m) {
        return undefined;
      }
      const params: Record<string, string> = {};
      for (let i = 0; i < groups.length; i++) {
        const param = groups[i] as RouteParameter;
        const raw = m[i + 1];
        let value: string | undefined;
        if (raw === undefined || raw === "") {
          value = param.defaultValue;
        } else {
          value = param.catchAll ? raw.split("/").map(safeDecode).join("/") : safeDecode(raw);
        }
        if (value === undefined) {
          if (!param.optional) return undefined;
          continue;
        }
        for (const constraint of param.constraints) {
          if (!constraint.test(value)) return undefined;
        }
        params[param.name] = value;
      }
      return params;
    },
  };
}

/** Orders routes the way ASP.NET routing would try them: most specific first. */
export function compareRoutePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i];
    const y = b.precedence[i];
    // A template that ends earlier is more specific (ASP.NET's decimal precedence: 1.1 < 1.14).
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x !== y) return x - y;
  }
  return 0;
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
