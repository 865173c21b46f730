import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { openApiDocument } from "../../openapi/document.ts";

/** `GET /api/openapi.json` (design §3): the document, built once per process. */
export async function getOpenApiDocument(
  _request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: openApiDocument() };
}
