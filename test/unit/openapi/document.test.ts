import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, expectTypeOf, it } from "vitest";
import type * as z from "zod";
import type { oas31 } from "zod-openapi";
import type { StatusDocument } from "../../../src/changes/model.ts";
import type { Problem } from "../../../src/http/problem.ts";
import { openApiDocument } from "../../../src/openapi/document.ts";
import type {
  offboardingSchema,
  problemSchema,
  statusDocumentSchema,
} from "../../../src/openapi/responses.ts";
import type { OffboardingView } from "../../../src/people/rollup.ts";
import { readRegistrations, type SourceFile } from "../docs/design-references.ts";
import { operationsOf, registrationDrift } from "./operations.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const functionsDir = path.join(root, "src", "functions");
const functionFiles: SourceFile[] = readdirSync(functionsDir)
  .filter((file) => file.endsWith(".ts"))
  .map((file) => ({
    path: `src/functions/${file}`,
    text: readFileSync(path.join(functionsDir, file), "utf8"),
  }));
const routePrefix: string = JSON.parse(readFileSync(path.join(root, "host.json"), "utf8")).extensions.http
  .routePrefix;
const registrations = readRegistrations(functionFiles, routePrefix);
const document = openApiDocument();
const operations = operationsOf(document);

/** Routes whose answers take no input and so cannot be a client error. */
const NO_CLIENT_ERROR = new Set(["health", "getOpenApiDocument", "opsPage"]);

describe("the OpenAPI document (src/openapi/document.ts)", () => {
  it("is OpenAPI 3.1 with every schema it references", () => {
    expect(document.openapi).toBe("3.1.0");
    const text = JSON.stringify(document);
    const refs = new Set([...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]));
    expect(refs.size).toBeGreaterThan(10);
    for (const ref of refs) expect(document.components?.schemas, ref).toHaveProperty(ref ?? "");
  });

  it("documents exactly the app.http registrations, each with its auth level", () => {
    expect(registrations.problems).toEqual([]);
    expect(operations.length).toBeGreaterThan(registrations.routes.length);
    expect(registrationDrift(operations, registrations.routes)).toEqual([]);
  });

  it("fails for a registration it does not document, a path nobody registers, or another auth level", () => {
    const missingHealth = operations.filter((operation) => operation.path !== "/api/health");
    const extra = {
      ...operations[0],
      path: "/api/owner-changes/{id}/history",
      method: "GET",
    } as (typeof operations)[0];
    const anonymousSubmit = operations.map((operation) =>
      operation.operationId === "submitOwnerChanges" ? { ...operation, security: [] } : operation,
    );
    // Only what the edits add: the check names each, whatever else is in flight in the tree.
    const baseline = new Set(registrationDrift(operations, registrations.routes));
    const added = (edited: typeof operations) =>
      registrationDrift(edited, registrations.routes).filter((problem) => !baseline.has(problem));
    expect(added([...missingHealth, extra])).toEqual([
      "GET /api/owner-changes/{id}/history is documented, but no app.http registration serves it",
      "health GET /api/health anonymous is registered, but the document has no operation for it",
    ]);
    expect(added(anonymousSubmit)).toEqual([
      "POST /api/owner-changes (submitOwnerChanges) requires [] but its registration is function-level",
    ]);
  });

  it("gives every operation a unique operationId, a summary and a tag", () => {
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const operation of operations) {
      expect(operation.operationId, `${operation.method} ${operation.path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.summary, operation.operationId).toMatch(/\S/);
      expect(operation.tags?.length, operation.operationId).toBe(1);
    }
  });

  it("answers every error with a Problem (SCIM: a SCIM error), with examples, and every input with a 4xx", () => {
    for (const operation of operations) {
      const errors = Object.entries(operation.responses ?? {}).filter(([status]) => /^[45]/.test(status));
      if (!NO_CLIENT_ERROR.has(operation.operationId)) {
        expect(
          errors.some(([status]) => status.startsWith("4")),
          operation.operationId,
        ).toBe(true);
      }
      for (const [status, response] of errors) {
        const where = `${operation.operationId} ${status}`;
        if (operation.operationId === "health") continue; // 503 { status: "unavailable" }: design §3
        const content = (response as oas31.ResponseObject).content ?? {};
        if (operation.path.startsWith("/api/scim/v2/")) {
          expect(content["application/scim+json"]?.schema, where).toEqual({
            $ref: "#/components/schemas/ScimError",
          });
          continue;
        }
        const problem = content["application/problem+json"];
        expect(Object.keys(content), where).toEqual(["application/problem+json"]);
        expect(problem?.schema, where).toEqual({ $ref: "#/components/schemas/Problem" });
        const examples = Object.values(problem?.examples ?? {}) as oas31.ExampleObject[];
        expect(examples.length, where).toBeGreaterThan(0);
        for (const example of examples) expect(example.value.status, where).toBe(Number(status));
      }
    }
  });

  it("describes Problem with the errors extension", () => {
    const schema = document.components?.schemas?.Problem as oas31.SchemaObject;
    expect(schema.required).toEqual(["type", "title", "status", "detail"]);
    expect(schema.properties?.errors).toMatchObject({
      type: "array",
      items: { $ref: "#/components/schemas/FieldError" },
    });
  });

  it("shows the request fields whose type the normalising schemas hide", () => {
    const change = document.components?.schemas?.OwnerChange as oas31.SchemaObject;
    expect(change.properties?.itwinId).toMatchObject({ type: "string", format: "uuid" });
    expect(change.properties?.action).toEqual({ type: "string", enum: ["add", "remove"] });
    expect(change.required).toEqual(["itwinId", "email", "action"]);
    expect(change.additionalProperties).toBe(false);
  });

  it("is built once per process", () => {
    expect(openApiDocument()).toBe(document);
  });
});

/** `-readonly`, deeply enough for Problem's `errors`. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] | undefined ? U[] : T[K] };

describe("the response schemas and the types the handlers answer with", () => {
  it("agree field for field (checked by tsc)", () => {
    // Both ways: a field the interface lacks, or one it types differently, fails either direction.
    expectTypeOf<z.output<typeof statusDocumentSchema>>().toExtend<StatusDocument>();
    expectTypeOf<StatusDocument>().toExtend<z.output<typeof statusDocumentSchema>>();
    // …and an optional field only one side names passes both, so the names are compared too.
    expectTypeOf<keyof z.output<typeof statusDocumentSchema>>().toEqualTypeOf<keyof StatusDocument>();
    expectTypeOf<keyof z.output<typeof problemSchema>>().toEqualTypeOf<keyof Problem>();
    expectTypeOf<z.output<typeof problemSchema>>().toExtend<Mutable<Problem>>();
    expectTypeOf<Mutable<Problem>>().toExtend<z.output<typeof problemSchema>>();
    type OffboardingAnswer = Omit<OffboardingView, "children"> & {
      children: (OffboardingView["children"][number] & { statusUrl: string })[];
    };
    expectTypeOf<z.output<typeof offboardingSchema>>().toExtend<OffboardingAnswer>();
    expectTypeOf<OffboardingAnswer>().toExtend<z.output<typeof offboardingSchema>>();
  });
});
