import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import jsonata from "jsonata";
import standardWebhooks from "standardwebhooks";
import { REPO_ROOT } from "../../../dev/stack/paths.ts";
import { loadSourceMappings } from "../../../src/sources/load.ts";
import type { SourceMapping, SourceRegistry } from "../../../src/sources/mapping.ts";
import { buildRegistry } from "../../../src/sources/registry.ts";

/**
 * The shipped example mappings (examples/sources/) and their payloads, shared by the unit tests of the
 * mappings and the integration test: the same files a deployment would point SOURCE_MAPPINGS_DIR at.
 */

export const EXAMPLES_DIR = join(REPO_ROOT, "examples", "sources");

/** The settings the examples' signature rules name, with test values. */
export const EXAMPLE_SECRETS = {
  SOURCE_SECRET_JIRA: "jira-webhook-secret-for-tests",
  SOURCE_SECRET_HR_LEAVER: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
} as const;

/** An example payload as the product sends it: the exact text, and the parsed value. */
export function examplePayload(file: string): { text: string; json: Record<string, unknown> } {
  const text = readFileSync(join(EXAMPLES_DIR, "payloads", file), "utf8");
  return { text, json: JSON.parse(text) as Record<string, unknown> };
}

export function exampleRegistry(): Promise<SourceRegistry> {
  return loadSourceMappings(
    { SOURCE_MAPPINGS: undefined, SOURCE_MAPPINGS_DIR: EXAMPLES_DIR },
    EXAMPLE_SECRETS,
  );
}

/** What Jira sends in X-Hub-Signature: `sha256=` and the hex HMAC-SHA256 of the body's bytes. */
export function jiraSignature(body: string, secret: string = EXAMPLE_SECRETS.SOURCE_SECRET_JIRA): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Standard Webhooks headers for `body`, signed now with the HR example's secret. */
export function standardWebhookHeaders(
  id: string,
  body: string,
  secret: string = EXAMPLE_SECRETS.SOURCE_SECRET_HR_LEAVER,
): Record<string, string> {
  const at = new Date();
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new standardWebhooks.Webhook(secret).sign(id, at, body),
  };
}

/** One mapping written inline, as SOURCE_MAPPINGS would hold it, unsigned unless it says otherwise. */
export function inlineMapping(
  document: Record<string, unknown>,
  env: Record<string, string> = {},
  name = "test",
): SourceMapping {
  const { registry } = buildRegistry(
    [{ setting: "SOURCE_MAPPINGS", name, document: { signature: { scheme: "none" }, ...document } }],
    env,
    jsonata,
  );
  return registry.get(name) as SourceMapping;
}
