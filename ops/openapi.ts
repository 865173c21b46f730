/**
 * Prints the OpenAPI document the app serves at `GET /api/openapi.json` (src/openapi/document.ts), for
 * `npm run lint:openapi` and for tools that want the contract without a running app:
 * `tsx ops/openapi.ts > openapi.json`.
 */
import { openApiDocument } from "../src/openapi/document.ts";

process.stdout.write(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
