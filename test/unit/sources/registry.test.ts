import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsonata from "jsonata";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, parseSettings } from "../../../src/config.ts";
import { REDACTED, redact, secretSettings } from "../../../src/observability/redact.ts";
import { loadSourceMappings } from "../../../src/sources/load.ts";
import { buildRegistry, entriesFromSetting } from "../../../src/sources/registry.ts";
import { EXAMPLE_SECRETS, EXAMPLES_DIR } from "./examples.ts";

/** SOURCE_MAPPINGS and SOURCE_MAPPINGS_DIR at start-up: a wrong mapping stops the app, naming source and field. */

const minimal = {
  AzureWebJobsStorage: "UseDevelopmentStorage=true",
  ITWIN_API_BASE_URL: "http://127.0.0.1:9",
  ITWIN_AUTHORITY: "http://127.0.0.1:9",
  ITWIN_CLIENT_ID: "client",
  ITWIN_CLIENT_SECRET: "secret",
};
const good = { email: "a", action: "'add'", itwinId: "b", signature: { scheme: "none" } };

/** The start-up failure for SOURCE_MAPPINGS = `mappings` (as JSON text unless a string), as its lines. */
async function failure(mappings: unknown, env: Record<string, string> = {}): Promise<readonly string[]> {
  const text = typeof mappings === "string" ? mappings : JSON.stringify(mappings);
  const error = await loadSourceMappings({ SOURCE_MAPPINGS: text, SOURCE_MAPPINGS_DIR: undefined }, env).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems;
}

const scratch = mkdtempSync(join(tmpdir(), "source-mappings-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("source mappings at start-up", () => {
  it("are plain settings of config.ts, parsed once, blank meaning unset", () => {
    expect(parseSettings({ ...minimal, SOURCE_MAPPINGS: " ", SOURCE_MAPPINGS_DIR: "maps" })).toMatchObject({
      SOURCE_MAPPINGS: undefined,
      SOURCE_MAPPINGS_DIR: "maps",
    });
  });

  it("name the source and the field of a JSONata syntax error", async () => {
    expect(await failure({ jira: { ...good, itwinId: "issue.fields.[" } })).toEqual([
      'SOURCE_MAPPINGS is invalid: source jira, field itwinId: JSONata syntax error at position 14: Expected "]" before end of expression',
    ]);
  });

  it("name every wrong field of every source at once", async () => {
    const problems = await failure({
      one: { ...good, email: "", colour: "blue" },
      two: { ...good, signature: { scheme: "hmac-sha256", header: "X Sig", secretSetting: "JIRA_SECRET" } },
      Three: good,
    });
    expect(problems).toEqual([
      "SOURCE_MAPPINGS is invalid: source one, field email: must be a JSONata expression",
      "SOURCE_MAPPINGS is invalid: source one: unknown field(s) colour",
      "SOURCE_MAPPINGS is invalid: source two, field signature.header: must be an HTTP header name",
      "SOURCE_MAPPINGS is invalid: source two, field signature.secretSetting: must name a setting called SOURCE_SECRET_<NAME> (A-Z, 0-9, _)",
      "SOURCE_MAPPINGS is invalid: source Three: the name must be 1-63 lower-case letters, digits or hyphens, not starting with a hyphen",
    ]);
  });

  it("need the secret settings their signatures name, in the form the scheme takes", async () => {
    const signed = (scheme: string) => ({
      ...good,
      signature: { scheme, secretSetting: "SOURCE_SECRET_HR" },
    });
    expect(await failure({ hr: signed("standard-webhooks") })).toEqual([
      "SOURCE_SECRET_HR is not set: source hr checks standard-webhooks signatures with it",
    ]);
    expect(await failure({ hr: signed("standard-webhooks") }, { SOURCE_SECRET_HR: "plain" })).toEqual([
      "SOURCE_SECRET_HR is invalid: each secret must look like whsec_<base64> (source hr)",
    ]);
    expect(await failure({ hr: { ...good, signature: {} } })).toEqual([
      expect.stringMatching(/^SOURCE_MAPPINGS is invalid: source hr, field signature\.scheme: /),
    ]);
  });

  it("refuse a Key Vault reference App Service could not resolve, which anyone could sign with", async () => {
    const hmac = {
      ...good,
      signature: { scheme: "hmac-sha256", header: "X-Hub-Signature", secretSetting: "SOURCE_SECRET_JIRA" },
    };
    const unresolved =
      "@Microsoft.KeyVault(SecretUri=https://kv-abc.vault.azure.net/secrets/source-secret-jira/)";
    expect(await failure({ jira: hmac }, { SOURCE_SECRET_JIRA: unresolved })).toEqual([
      "SOURCE_SECRET_JIRA is an unresolved Key Vault reference: check that the app's identity may read the vault and that the secret exists (source jira)",
    ]);
  });

  it("refuse a setting that is not a JSON object of mappings", async () => {
    expect(await failure("{ jira:")).toEqual([
      expect.stringMatching(/^SOURCE_MAPPINGS is invalid: not JSON: /),
    ]);
    expect(() => entriesFromSetting("[1]")).toThrow("must be a JSON object of source name → mapping");
  });

  it("read a folder of <source>.json files, and refuse a source defined twice", async () => {
    writeFileSync(join(scratch, "crm.json"), JSON.stringify(good));
    writeFileSync(join(scratch, "notes.txt"), "not a mapping");
    const registry = await loadSourceMappings(
      { SOURCE_MAPPINGS: undefined, SOURCE_MAPPINGS_DIR: scratch },
      {},
    );
    expect([...registry.keys()]).toEqual(["crm"]);
    const twice = loadSourceMappings(
      { SOURCE_MAPPINGS: JSON.stringify({ crm: good }), SOURCE_MAPPINGS_DIR: scratch },
      {},
    );
    await expect(twice).rejects.toThrow(
      "SOURCE_MAPPINGS_DIR is invalid: source crm (crm.json): defined twice (also in SOURCE_MAPPINGS)",
    );
    writeFileSync(join(scratch, "broken.json"), "{");
    await expect(
      loadSourceMappings({ SOURCE_MAPPINGS: undefined, SOURCE_MAPPINGS_DIR: scratch }, {}),
    ).rejects.toThrow(
      /^Invalid configuration:\n {2}- SOURCE_MAPPINGS_DIR is invalid: broken\.json is not JSON/,
    );
    await expect(
      loadSourceMappings({ SOURCE_MAPPINGS: undefined, SOURCE_MAPPINGS_DIR: join(scratch, "missing") }, {}),
    ).rejects.toThrow(/SOURCE_MAPPINGS_DIR is invalid: cannot read /);
  });

  it("load nothing, and no compiler, when neither setting is given", async () => {
    const registry = await loadSourceMappings(
      { SOURCE_MAPPINGS: undefined, SOURCE_MAPPINGS_DIR: undefined },
      {},
    );
    expect(registry.size).toBe(0);
  });

  it("hand their secrets to redaction, from parsed mappings and from a raw environment", async () => {
    await loadSourceMappings(
      { SOURCE_MAPPINGS: undefined, SOURCE_MAPPINGS_DIR: EXAMPLES_DIR },
      EXAMPLE_SECRETS,
    );
    const line = `jira=${EXAMPLE_SECRETS.SOURCE_SECRET_JIRA} hr=${EXAMPLE_SECRETS.SOURCE_SECRET_HR_LEAVER.slice(6)}`;
    expect(redact(line)).toBe(`jira=${REDACTED} hr=${REDACTED}`);
    expect(secretSettings({ SOURCE_SECRET_A: "first-secret, second-secret", OTHER: "x" })).toEqual([
      "first-secret",
      "first-secret",
      "second-secret",
      "second-secret",
    ]);
  });

  it("keep the sources in the order the setting gives them", () => {
    const entries = entriesFromSetting(JSON.stringify({ b: good, a: good }));
    expect([...buildRegistry(entries, {}, jsonata).registry.keys()]).toEqual(["b", "a"]);
  });
});
