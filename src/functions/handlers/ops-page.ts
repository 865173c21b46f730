import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { type OpsPage, opsPage } from "../../ops-page/page.ts";

/** The page never changes while the process runs, so it is built (and its hashes computed) once. */
let page: OpsPage | undefined;

/** `GET /api/ops` (design §3): the ops page with its Content-Security-Policy. */
export async function opsPageHandler(
  _request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  page ??= opsPage();
  return { status: 200, headers: page.headers, body: page.html };
}
