import { expect } from "vitest";
import * as z from "zod";
import type { ZodOpenApiResponseObject } from "zod-openapi";
import { openApiPaths } from "../../src/openapi/document.ts";

/**
 * Holds a real HTTP answer to the OpenAPI document: its status must be documented for the operation, its
 * media type too, and its body and headers must parse with the zod schemas the document was generated
 * from. `z.object` drops keys it does not name, so comparing the parse with the body also finds an
 * undocumented field. Returns the body (parsed JSON, or text) for further assertions.
 */
export async function expectDocumented(
  response: Response,
  path: string,
  method: "get" | "post" | "put" | "patch" | "delete",
): Promise<unknown> {
  const operation = openApiPaths()[path]?.[method];
  const where = `${method.toUpperCase()} ${path} → ${response.status}`;
  expect(operation, `${method.toUpperCase()} ${path} is documented`).toBeDefined();
  const documented = operation?.responses[String(response.status) as `2${string}`] as
    | ZodOpenApiResponseObject
    | undefined;
  const text = await response.text();
  expect(documented, `${where} is a documented status (${text.slice(0, 300)})`).toBeDefined();

  if (documented?.headers instanceof z.ZodObject) {
    const headers = documented.headers.safeParse(Object.fromEntries(response.headers));
    expect(headers.error?.issues, `${where}: headers`).toBeUndefined();
  }
  const content = documented?.content ?? {};
  if (Object.keys(content).length === 0) {
    expect(text, `${where} has no body`).toBe("");
    return undefined;
  }
  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  expect(Object.keys(content), `${where}: media type`).toContain(mediaType);
  const schema = content[mediaType]?.schema;
  if (!(schema instanceof z.ZodType)) return mediaType.endsWith("json") ? JSON.parse(text) : text;
  const body: unknown = JSON.parse(text);
  const parsed = schema.safeParse(body);
  expect(parsed.error?.issues, `${where}: ${text.slice(0, 500)}`).toBeUndefined();
  expect(parsed.data, `${where}: every field is documented`).toEqual(body);
  return body;
}
