import { app, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { invocationLogger } from "../observability/log.ts";
import { services } from "../services.ts";

const HEALTH_TIMEOUT_MS = 5_000;

/** `GET /api/health`: 200 when storage answers within five seconds, else 503. Anonymous, so it says little. */
export async function health(_request: unknown, context: InvocationContext): Promise<HttpResponseInit> {
  const probe = (async () => {
    await services().ready();
    await services().store.ping();
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`storage did not answer within ${HEALTH_TIMEOUT_MS} ms`)),
      HEALTH_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([probe, timeout]);
    return { status: 200, jsonBody: { status: "ok" }, headers: { "cache-control": "no-store" } };
  } catch (error) {
    probe.catch(() => undefined);
    invocationLogger(context).warn("health check failed", { error: (error as Error).message });
    return {
      status: 503,
      jsonBody: { status: "unavailable", storage: "unreachable" },
      headers: { "cache-control": "no-store" },
    };
  } finally {
    clearTimeout(timer);
  }
}

app.http("health", { route: "health", methods: ["GET"], authLevel: "anonymous", handler: health });
