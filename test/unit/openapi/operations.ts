import type { oas31 } from "zod-openapi";
import type { RouteLine } from "../docs/design-references.ts";

/**
 * Checks of the OpenAPI document against the `app.http` registrations (pure, like ../docs/design-references.ts,
 * whose reading of the registrations they take): every documented operation is served by a registration
 * with its method, every registered method is documented, and each operation's security is its
 * registration's auth level. Each returns a list of problems; empty means "in step".
 */

export interface Operation extends oas31.OperationObject {
  path: string;
  method: string;
  operationId: string;
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;

export function operationsOf(document: oas31.OpenAPIObject): Operation[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      return operation === undefined
        ? []
        : [{ ...operation, path, method: method.toUpperCase(), operationId: operation.operationId ?? "" }];
    }),
  );
}

interface Registration {
  name: string;
  methods: string[];
  route: string;
  authLevel: string;
}

function parse(line: RouteLine): Registration {
  const [name = "", methods = "", route = "", authLevel = ""] = line.split(" ");
  return { name, methods: methods.split(","), route, authLevel };
}

/**
 * Whether a documented path is served by a registered route template: the same segments, where a
 * template's `{parameter}` takes any segment (`/api/scim/v2/Users` is `scim/v2/{resource}`) but a
 * documented `{parameter}` only a template's parameter.
 */
function serves(template: string, path: string): boolean {
  const expected = template.split("/");
  const actual = path.split("/");
  return (
    expected.length === actual.length &&
    expected.every(
      (segment, i) => segment === actual[i] || (/^\{\w+\}$/.test(segment) && actual[i] !== undefined),
    )
  );
}

const parameters = (template: string) => (template.match(/\{/g) ?? []).length;

/** The security requirement each auth level means (src/openapi/document.ts). */
function securityFits(security: oas31.SecurityRequirementObject[] | undefined, authLevel: string): boolean {
  const schemes = (security ?? []).flatMap((requirement) => Object.keys(requirement)).sort();
  if (authLevel === "function") return schemes.join() === "functionKey,functionKeyQuery";
  if (authLevel === "admin") return schemes.join() === "masterKey,masterKeyQuery";
  // Anonymous to the host: no key, though our code may check something else (SCIM's bearer token).
  return security !== undefined && !schemes.some((scheme) => /Key/.test(scheme));
}

export function registrationDrift(operations: readonly Operation[], routes: readonly RouteLine[]): string[] {
  const registrations = routes.map(parse);
  const problems: string[] = [];
  const covered = new Set<string>();
  for (const operation of operations) {
    // The most specific template wins: /api/owner-changes/summary before /api/owner-changes/{id}.
    const registration = registrations
      .filter((r) => r.methods.includes(operation.method) && serves(r.route, operation.path))
      .sort((a, b) => parameters(a.route) - parameters(b.route))[0];
    if (registration === undefined) {
      problems.push(
        `${operation.method} ${operation.path} is documented, but no app.http registration serves it`,
      );
      continue;
    }
    covered.add(`${registration.name} ${operation.method}`);
    if (!securityFits(operation.security, registration.authLevel)) {
      problems.push(
        `${operation.method} ${operation.path} (${operation.operationId}) requires ` +
          `${JSON.stringify(operation.security)} but its registration is ${registration.authLevel}-level`,
      );
    }
  }
  for (const registration of registrations) {
    for (const method of registration.methods) {
      if (!covered.has(`${registration.name} ${method}`)) {
        problems.push(
          `${registration.name} ${method} ${registration.route} ${registration.authLevel} is registered, ` +
            "but the document has no operation for it",
        );
      }
    }
  }
  return problems;
}
