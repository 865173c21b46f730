import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { settingsSchema } from "../../../src/config.ts";
import { secretSettings } from "../../../src/observability/redact.ts";
import { mappingSchema } from "../../../src/sources/mapping.ts";
import {
  type Check,
  checks,
  type InfraTexts,
  type SettingsContract,
  settingsContract,
} from "./consistency.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

function readInfraFolder(): InfraTexts {
  const infra: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const item of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, item.name);
      if (item.isDirectory()) walk(full);
      else
        infra[path.relative(path.join(root, "infra"), full).split(path.sep).join("/")] = readFileSync(
          full,
          "utf8",
        );
    }
  };
  walk(path.join(root, "infra"));
  return { infra, hostJson: readFileSync(path.join(root, "host.json"), "utf8") };
}

const real = readInfraFolder();

/**
 * The app's own rules, asked rather than copied: a setting outside the schema is read by name when a
 * mapping may name it as its signature secret (src/sources/mapping.ts), and a setting is a secret when
 * log redaction treats its value as one (src/observability/redact.ts).
 */
const mappings = mappingSchema(jsonata);
const PROBE = "probe-value-0123456789";
const contract = settingsContract(settingsSchema.shape, {
  readsByName: (name) => {
    const parsed = mappings.safeParse({
      email: "'a'",
      action: "'add'",
      signature: { scheme: "standard-webhooks", secretSetting: name },
    });
    return !parsed.error?.issues.some((issue) => issue.path.join(".") === "signature.secretSetting");
  },
  isSecret: (name) => secretSettings({ [name]: PROBE }).includes(PROBE),
});

/** A copy of the texts with one file edited; the edit must change something, or the test proves nothing. */
function broken(file: string, edit: (text: string) => string): InfraTexts {
  if (file === "host.json") {
    const hostJson = edit(real.hostJson);
    expect(hostJson, "the edit changed nothing").not.toBe(real.hostJson);
    return { ...real, hostJson };
  }
  const before = real.infra[file];
  expect(before, `infra/${file} exists`).toBeDefined();
  const after = edit(before ?? "");
  expect(after, "the edit changed nothing").not.toBe(before);
  return { ...real, infra: { ...real.infra, [file]: after } };
}

const withoutLine = (pattern: RegExp) => (text: string) =>
  text
    .split("\n")
    .filter((line) => !pattern.test(line))
    .join("\n");

describe("the settings contract read from src/config.ts", () => {
  it("finds the required settings by parsing 'not set', not from a list", () => {
    expect(contract.required).toEqual(
      expect.arrayContaining([
        "ITWIN_API_BASE_URL",
        "ITWIN_AUTHORITY",
        "ITWIN_CLIENT_ID",
        "ITWIN_CLIENT_SECRET",
      ]),
    );
    expect(contract.required).not.toContain("ITWIN_SCOPE");
    expect(contract.defaults.OWNER_CHANGE_JOBS_QUEUE).toBe("owner-change-jobs");
    expect(contract.defaults.QUEUE_MAX_DEQUEUE_COUNT).toBe(5);
  });

  it("asks the sources code which names it reads and redaction which values are secrets", () => {
    expect(contract.readsByName("SOURCE_SECRET_JIRA")).toBe(true);
    expect(contract.readsByName("SOURCE_SECRETS_JIRA")).toBe(false);
    expect(contract.readsByName("ITWIN_CLIENT_SECRET")).toBe(false);
    const secrets = ["ITWIN_CLIENT_SECRET", "WEBHOOK_SECRETS", "SCIM_BEARER_TOKENS", "SOURCE_SECRET_JIRA"];
    expect(secrets.filter((name) => contract.isSecret(name))).toEqual(secrets);
    const plain = [
      "ITWIN_CLIENT_ID",
      "SOURCE_MAPPINGS",
      "POLICY_PROTECTED_OWNERS",
      "AzureWebJobsStorage__clientId",
    ];
    expect(plain.filter((name) => contract.isSecret(name))).toEqual([]);
  });
});

describe("infra/ is consistent with src/config.ts and host.json", () => {
  for (const [name, check] of Object.entries(checks)) {
    it(`${name}: no problems`, () => {
      expect(check(real, contract)).toEqual([]);
    });
  }
});

/** Each check, run on a deliberately broken copy, must report the breakage. */
describe("each check fails on a broken copy", () => {
  const fails = (check: Check, texts: InfraTexts, mention: string, against: SettingsContract = contract) => {
    const problems = check(texts, against);
    expect(problems.join("\n")).toContain(mention);
  };

  it("requiredSettings: a required setting removed from the app settings", () => {
    fails(
      checks.requiredSettings,
      broken("main.bicep", withoutLine(/^\s*ITWIN_CLIENT_ID:/)),
      "ITWIN_CLIENT_ID",
    );
  });

  it("requiredSettings: a required setting left empty", () => {
    fails(
      checks.requiredSettings,
      broken("main.bicep", (text) => text.replace("ITWIN_AUTHORITY: itwinAuthority", "ITWIN_AUTHORITY: ''")),
      "ITWIN_AUTHORITY",
    );
  });

  it("requiredSettings: follows the schema — a newly required setting is missing at once", () => {
    const stricter = { ...contract, required: [...contract.required, "ITWIN_TENANT"] };
    fails(checks.requiredSettings, real, "ITWIN_TENANT", stricter);
  });

  it("requiredSettings: a policy setting without a parameter", () => {
    fails(
      checks.requiredSettings,
      broken("main.bicep", withoutLine(/^\s*POLICY_DRY_RUN:/)),
      "POLICY_DRY_RUN",
    );
  });

  it("unknownSettings: a misspelt setting", () => {
    fails(
      checks.unknownSettings,
      broken("main.bicep", (text) => text.replace("ITWIN_SCOPE: itwinScope", "ITWIN_SCOPES: itwinScope")),
      "ITWIN_SCOPES",
    );
  });

  it("unknownSettings: a classic runtime setting Flex Consumption rejects", () => {
    fails(
      checks.unknownSettings,
      broken("main.bicep", (text) =>
        text.replace("var appSettings = {", "var appSettings = {\n  FUNCTIONS_WORKER_RUNTIME: 'node'"),
      ),
      "FUNCTIONS_WORKER_RUNTIME is not allowed on Flex",
    );
  });

  it("secretsFromKeyVault: the client secret passed as a plain value", () => {
    fails(
      checks.secretsFromKeyVault,
      broken("main.bicep", (text) =>
        text.replace(
          "ITWIN_CLIENT_SECRET: itwinClientSecretReference",
          "ITWIN_CLIENT_SECRET: itwinClientSecret",
        ),
      ),
      "ITWIN_CLIENT_SECRET",
    );
  });

  it("secretsFromKeyVault: a generated secret setting that is not a Key Vault reference", () => {
    fails(
      checks.secretsFromKeyVault,
      broken("main.bicep", (text) =>
        text.replace(/(var sourceSecretAppSettings = toObject\(.*, name => )'@Microsoft[^\n]*\)/, "$1name)"),
      ),
      "must be a Key Vault reference",
    );
  });

  it("secretsFromKeyVault: a generated reference to a vault this template does not create", () => {
    fails(
      checks.secretsFromKeyVault,
      broken("main.bicep", (text) =>
        text.replace(/var keyVaultUri = .*/, "var keyVaultUri = 'https://kv-elsewhere.vault.azure.net/'"),
      ),
      "refers to a vault other than `module keyVault`'s",
    );
  });

  it("secretsFromKeyVault: no keyVaultReferenceIdentity on the app", () => {
    fails(
      checks.secretsFromKeyVault,
      broken("app/api.bicep", withoutLine(/^\s*keyVaultReferenceIdentity:/)),
      "keyVaultReferenceIdentity",
    );
  });

  it("reading the app settings: something other than toObject(...) vars joined to them", () => {
    fails(
      checks.requiredSettings,
      broken("main.bicep", (text) =>
        text.replace(
          "union(appSettings, sourceSecretAppSettings)",
          "union(appSettings, sourceSecretAppSettings, { EXTRA: 'x' })",
        ),
      ),
      "gets `{ EXTRA: 'x' }` among its app settings",
    );
  });

  it(`reading the app settings: a generated family whose keys are not '<PREFIX>\${name}'`, () => {
    fails(
      checks.requiredSettings,
      broken("main.bicep", (text) => text.replace(`name => 'SOURCE_SECRET_\${name}'`, "name => name")),
      "`var sourceSecretAppSettings` must be toObject(names, name => '<PREFIX>",
    );
  });

  it("reading the app settings: a literal entry a generated family would overwrite", () => {
    fails(
      checks.requiredSettings,
      broken("main.bicep", (text) =>
        text.replace(
          "  SOURCE_MAPPINGS: sourceMappings",
          "  SOURCE_MAPPINGS: sourceMappings\n  SOURCE_SECRET_JIRA: ''",
        ),
      ),
      "SOURCE_SECRET_JIRA is in `var appSettings` and also made by `sourceSecretAppSettings`",
    );
  });

  it("unknownSettings: a generated family the app does not read (a misspelt prefix)", () => {
    fails(
      checks.unknownSettings,
      broken("main.bicep", (text) =>
        text.replace(`name => 'SOURCE_SECRET_\${name}'`, `name => 'SOURCE_SECRETS_\${name}'`),
      ),
      "makes settings named SOURCE_SECRETS_<NAME>, which the app does not read",
    );
  });

  it("mappedWebhooks: SOURCE_MAPPINGS not an app setting", () => {
    fails(
      checks.mappedWebhooks,
      broken("main.bicep", withoutLine(/^\s*SOURCE_MAPPINGS:/)),
      "SOURCE_MAPPINGS is not an app setting",
    );
  });

  it("mappedWebhooks: SOURCE_MAPPINGS fixed in the template instead of a parameter", () => {
    fails(
      checks.mappedWebhooks,
      broken("main.bicep", (text) => text.replace("SOURCE_MAPPINGS: sourceMappings", "SOURCE_MAPPINGS: ''")),
      "SOURCE_MAPPINGS (infra/main.bicep:",
    );
  });

  it("mappedWebhooks: the signature secrets not made (the known gap this check closes)", () => {
    fails(
      checks.mappedWebhooks,
      broken("main.bicep", (text) =>
        text.replace("union(appSettings, sourceSecretAppSettings)", "appSettings"),
      ),
      "makes no settings the app reads by name as secrets",
    );
  });

  it("mappedWebhooks: the secrets' names fixed in the template instead of a parameter", () => {
    fails(
      checks.mappedWebhooks,
      broken("main.bicep", (text) =>
        text.replace("toObject(sourceSecretSettingNames,", "toObject(['JIRA'],"),
      ),
      "makes its SOURCE_SECRET_<NAME> settings from no parameter",
    );
  });

  it("noSharedKeys: an AccountKey in a setting", () => {
    fails(
      checks.noSharedKeys,
      broken("main.bicep", (text) =>
        text.replace(
          "var appSettings = {",
          "var appSettings = {\n  LEGACY: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0'",
        ),
      ),
      "AccountKey=",
    );
  });

  it("noSharedKeys: listKeys()", () => {
    fails(
      checks.noSharedKeys,
      broken(
        "app/storage.bicep",
        (text) => `${text}\noutput key string = storage.listKeys().keys[0].value\n`,
      ),
      "listKeys",
    );
  });

  it("noSharedKeys: shared-key access switched on", () => {
    fails(
      checks.noSharedKeys,
      broken("app/storage.bicep", (text) =>
        text.replace("allowSharedKeyAccess: false", "allowSharedKeyAccess: true"),
      ),
      "allowSharedKeyAccess",
    );
  });

  it("noSharedKeys: shared-key access left out (Azure's default is on)", () => {
    fails(
      checks.noSharedKeys,
      broken("app/storage.bicep", withoutLine(/allowSharedKeyAccess/)),
      "without allowSharedKeyAccess: false",
    );
  });

  it("noSharedKeys: the plain AzureWebJobsStorage connection string", () => {
    fails(
      checks.noSharedKeys,
      broken("main.bicep", (text) =>
        text.replace("var appSettings = {", "var appSettings = {\n  AzureWebJobsStorage: storageConnection"),
      ),
      "AzureWebJobsStorage is set",
    );
  });

  it("noSharedKeys: comments may name the forbidden patterns", () => {
    const commented = broken(
      "main.bicep",
      (text) => `// never AccountKey=, never listKeys(), never allowSharedKeyAccess: true\n${text}`,
    );
    expect(checks.noSharedKeys(commented, contract)).toEqual([]);
  });

  it("queueAndTableNames: a queue renamed in Bicep", () => {
    fails(
      checks.queueAndTableNames,
      broken("main.bicep", (text) =>
        text.replace("var jobsQueueName = 'owner-change-jobs'", "var jobsQueueName = 'owner-change-job'"),
      ),
      "OWNER_CHANGE_JOBS_QUEUE is 'owner-change-job'",
    );
  });

  it("queueAndTableNames: the bundles queue not created", () => {
    fails(
      checks.queueAndTableNames,
      broken("main.bicep", (text) => text.replace(/^ *'\$\{jobsQueueName\}-bundles'\n/m, "")),
      "queue 'owner-change-jobs-bundles' (bundleQueueName of OWNER_CHANGE_JOBS_QUEUE) is not created",
    );
  });

  it("queueAndTableNames: the table renamed in Bicep", () => {
    fails(
      checks.queueAndTableNames,
      broken("main.bicep", (text) => text.replace("'OwnerChanges'", "'OwnerChangeStatus'")),
      "OWNER_CHANGE_STATUS_TABLE",
    );
  });

  it("queueAndTableNames: a poison queue not created", () => {
    fails(
      checks.queueAndTableNames,
      broken("main.bicep", withoutLine(/'\$\{requestsQueueName\}-poison'/)),
      "owner-change-requests-poison",
    );
  });

  it("queueAndTableNames: the schema default changes and Bicep does not follow", () => {
    const renamed = {
      ...contract,
      defaults: { ...contract.defaults, OWNER_CHANGE_REQUESTS_QUEUE: "owner-changes-in" },
    };
    fails(checks.queueAndTableNames, real, "OWNER_CHANGE_REQUESTS_QUEUE", renamed);
  });

  it("storageIdentity: the client id of the identity missing", () => {
    fails(
      checks.storageIdentity,
      broken("main.bicep", withoutLine(/^\s*AzureWebJobsStorage__clientId:/)),
      "AzureWebJobsStorage__clientId",
    );
  });

  it("storageIdentity: the queue service URI missing", () => {
    fails(
      checks.storageIdentity,
      broken("main.bicep", withoutLine(/^\s*AzureWebJobsStorage__queueServiceUri:/)),
      "AzureWebJobsStorage__queueServiceUri",
    );
  });

  it("storageIdentity: a credential other than managedidentity", () => {
    fails(
      checks.storageIdentity,
      broken("main.bicep", (text) =>
        text.replace(
          "AzureWebJobsStorage__credential: 'managedidentity'",
          "AzureWebJobsStorage__credential: 'default'",
        ),
      ),
      "AzureWebJobsStorage__credential",
    );
  });

  it("runtime: node 20 instead of 22", () => {
    fails(
      checks.runtime,
      broken("app/api.bicep", (text) => text.replace("version: '22'", "version: '20'")),
      "version 20",
    );
  });

  it("runtime: not a Flex Consumption plan", () => {
    fails(
      checks.runtime,
      broken("app/api.bicep", (text) => text.replace("name: 'FC1'", "name: 'Y1'")),
      "FC1",
    );
  });

  it("hostMaxDequeueCount: host.json differs from the schema default", () => {
    fails(
      checks.hostMaxDequeueCount,
      broken("host.json", (text) => text.replace('"maxDequeueCount": 5', '"maxDequeueCount": 3')),
      "maxDequeueCount is 3",
    );
  });

  it("defaultsSurviveBlanks: a default missing from its mapping (an empty variable would blank it)", () => {
    fails(
      checks.defaultsSurviveBlanks,
      broken("main.parameters.json", (text) => text.replace("=https://api.bentley.com}", "}")),
      "instead of the default 'https://api.bentley.com'",
    );
  });

  it("defaultsSurviveBlanks: an integer default missing from its mapping", () => {
    fails(
      checks.defaultsSurviveBlanks,
      broken("main.parameters.json", (text) =>
        text.replace("MAXIMUM_INSTANCE_COUNT=40}", "MAXIMUM_INSTANCE_COUNT}"),
      ),
      "instead of the default '40'",
    );
  });

  it("defaultsSurviveBlanks: main.bicep's default changes and the mapping does not follow", () => {
    fails(
      checks.defaultsSurviveBlanks,
      broken("main.bicep", (text) =>
        text.replace(
          "param itwinScope string = 'itwin-platform'",
          "param itwinScope string = 'itwin-platform-v2'",
        ),
      ),
      "gives 'itwinScope' the default 'itwin-platform' but main.bicep's is 'itwin-platform-v2'",
    );
  });

  it("secretLookingParams: a secret's name called …SecretsName, which the linter takes for a secret", () => {
    fails(
      checks.secretLookingParams,
      broken("app/keyvault.bicep", (text) =>
        text.replace("param webhookSecretName string", "param webhookSecretsName string"),
      ),
      "parameter 'webhookSecretsName' looks like a secret",
    );
  });

  it("secretLookingParams: a secret parameter without @secure()", () => {
    fails(
      checks.secretLookingParams,
      broken("main.bicep", withoutLine(/^@secure\(\)$/)),
      "parameter 'itwinClientSecret' looks like a secret",
    );
  });

  it("parametersFile: a mapped parameter main.bicep does not declare", () => {
    fails(
      checks.parametersFile,
      broken("main.parameters.json", (text) => text.replace('"itwinScope"', '"itwinScopes"')),
      "itwinScopes",
    );
  });

  it("parametersFile: a parameter without default that nothing maps", () => {
    fails(
      checks.parametersFile,
      broken("main.parameters.json", (text) =>
        text.replace(/\s*"itwinClientId": \{\s*"value": "[^"]*"\s*\},/, ""),
      ),
      "itwinClientId",
    );
  });
});
