import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { settingsSchema } from "../../../src/config.ts";
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
const contract = settingsContract(settingsSchema.shape);

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

  it("secretsFromKeyVault: no keyVaultReferenceIdentity on the app", () => {
    fails(
      checks.secretsFromKeyVault,
      broken("app/api.bicep", withoutLine(/^\s*keyVaultReferenceIdentity:/)),
      "keyVaultReferenceIdentity",
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
