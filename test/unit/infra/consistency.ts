/**
 * Static checks that keep infra/ (Bicep), src/config.ts and host.json in step. Azure cannot be
 * reached from here or from CI's test job, so a deployment has to be right by construction; these
 * checks are the part of "right" that can be read off the files. They are pure functions of the file
 * texts and of the settings schema, so consistency.test.ts can run them on deliberately broken
 * copies and show that each one fails when it should.
 *
 * Conventions the checks rely on (and report when broken):
 * - every app setting is an entry of the one object literal `var appSettings = { ... }` in
 *   main.bicep, handed to the api module, whose `Microsoft.Web/sites/config` 'appsettings' resource
 *   uses it as its properties;
 * - except settings made per name from a parameter (the mapped webhooks' SOURCE_SECRET_<NAME>): each
 *   such family is a var `toObject(names, name => '<PREFIX>${name}', name => <value>)`, joined to the
 *   literal as `union(appSettings, <var>, ...)` where the api module is given its settings. The checks
 *   read the family as its prefix and its value expression, so they can check those as they check an
 *   entry of the literal;
 * - contract names (queues, table) are string literals or vars holding them in main.bicep, and the
 *   storage module receives the queues to create as `queueNames` and the tables as `tableNames`.
 */

import { bundleQueueName, poisonQueueName } from "../../../src/storage/queue-rules.ts";
import {
  arrayElements,
  type BicepFile,
  blockAfter,
  callArguments,
  type Entry,
  entry,
  evaluateString,
  expandVars,
  lambda,
  lineOf,
  objectEntries,
  params,
  readBicep,
  variableEntries,
  variables,
} from "./bicep-text.ts";

export interface InfraTexts {
  /** Every file under infra/, keyed by its path relative to infra/ with forward slashes ("main.bicep"). */
  readonly infra: Readonly<Record<string, string>>;
  /** host.json at the project root. */
  readonly hostJson: string;
}

/** What the settings schema says, reduced to what the checks need. */
export interface SettingsContract {
  /** Every setting the app reads. */
  readonly keys: readonly string[];
  /** Settings with neither a default nor an accepted "not set": the app refuses to start without them. */
  readonly required: readonly string[];
  /** The value each setting takes when it is not set (defaults, or undefined). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Whether the app reads a setting of this name although the schema does not list it (SOURCE_SECRET_*). */
  readsByName(name: string): boolean;
  /** Whether the app treats this setting's value as a secret: it must then come from Key Vault. */
  isSecret(name: string): boolean;
}

/** What the app reads beyond the schema's own keys; the test derives both from the code that decides. */
export interface SettingRules {
  readsByName(name: string): boolean;
  isSecret(name: string): boolean;
}

/** The part of a zod schema the contract needs; `settingsSchema.shape` satisfies it. */
export interface SchemaField {
  safeParse(value: unknown): { success: boolean; data?: unknown };
}

/**
 * Derives the contract from the schema itself rather than from a list kept here: a setting is
 * required exactly when parsing "not set" fails, and its default is what parsing "not set" yields.
 */
export function settingsContract(
  shape: Readonly<Record<string, SchemaField>>,
  rules: SettingRules,
): SettingsContract {
  const keys = Object.keys(shape);
  const required: string[] = [];
  const defaults: Record<string, unknown> = {};
  for (const key of keys) {
    const result = shape[key]?.safeParse(undefined);
    if (result === undefined || !result.success) required.push(key);
    else defaults[key] = result.data;
  }
  return { keys, required, defaults, readsByName: rules.readsByName, isSecret: rules.isSecret };
}

/**
 * Settings the Functions host reads, not our code: allowed in Bicep although the schema does not list
 * them. (The Application Insights settings are the schema's own: src/observability/telemetry.ts reads them.)
 */
const PLATFORM_SETTINGS: Readonly<Record<string, string>> = {
  AzureWebJobsStorage__blobServiceUri:
    "the host's own storage (leases, keys) on the identity-based connection",
};

/** Settings a Flex Consumption app rejects or ignores: runtime and package live in functionAppConfig. */
const FLEX_REJECTED_SETTINGS = new Set([
  "FUNCTIONS_WORKER_RUNTIME",
  "FUNCTIONS_WORKER_RUNTIME_VERSION",
  "FUNCTIONS_EXTENSION_VERSION",
  "WEBSITE_NODE_DEFAULT_VERSION",
  "WEBSITE_RUN_FROM_PACKAGE",
  "WEBSITE_CONTENTSHARE",
  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
  "SCM_DO_BUILD_DURING_DEPLOYMENT",
  "ENABLE_ORYX_BUILD",
]);

/** The queues the app triggers on; each needs its `-poison` twin. */
const QUEUE_SETTINGS = ["OWNER_CHANGE_REQUESTS_QUEUE", "OWNER_CHANGE_JOBS_QUEUE"] as const;
const TABLE_SETTINGS = ["OWNER_CHANGE_STATUS_TABLE"] as const;

export type Check = (texts: InfraTexts, contract: SettingsContract) => string[];

// --- reading the infra folder -------------------------------------------------------------------

interface Infra {
  readonly files: ReadonlyMap<string, BicepFile>;
  readonly main: BicepFile | undefined;
  readonly mainVars: ReadonlyMap<string, string>;
}

function readInfra(texts: InfraTexts): Infra {
  const files = new Map<string, BicepFile>();
  for (const [path, text] of Object.entries(texts.infra)) {
    if (path.endsWith(".bicep")) files.set(path, readBicep(text));
  }
  const main = files.get("main.bicep");
  return { files, main, mainVars: main === undefined ? new Map() : variables(main) };
}

/** The file that declares the given resource type (not `existing`), with the offset of its body. */
function declaring(infra: Infra, type: string): { path: string; file: BicepFile; open: number } | undefined {
  const header = new RegExp(
    `^[ \\t]*resource[ \\t]+\\w+[ \\t]+'${type.replace(/[./]/g, "\\$&")}@[^']+'[ \\t]*=[ \\t]*(if[ \\t]*\\([^\\n]*\\)[ \\t]*)?[{\\[]`,
    "m",
  );
  for (const [path, file] of infra.files) {
    const open = blockAfter(file, header);
    if (open !== -1) return { path, file, open };
  }
  return undefined;
}

/** A family of settings made per name: `toObject(names, name => '<prefix>${name}', name => <value>)`. */
interface GeneratedSettings {
  /** The var holding the `toObject(...)`. */
  readonly variable: string;
  /** The text every key of the family starts with. */
  readonly prefix: string;
  /** One key of the family (the prefix and EXAMPLE), for the checks that ask about a name. */
  readonly example: string;
  /** The value lambda's body, keyed by `example`. */
  readonly value: Entry;
}

interface AppSettings {
  readonly entries: ReadonlyMap<string, Entry>;
  readonly generated: readonly GeneratedSettings[];
  readonly problems: readonly string[];
}

/** The `toObject(...)` family held by `var <name>`, or why the checks cannot read it. */
function generatedFamily(main: BicepFile, name: string): GeneratedSettings | string {
  const declared = variableEntries(main).get(name);
  const shape = `\`var ${name}\` must be toObject(names, name => '<PREFIX>\${name}', name => <value>)`;
  if (declared === undefined)
    return `app settings come from \`${name}\`, which is not a var of infra/main.bicep`;
  if (!/^toObject\s*\(/.test(declared.value)) return shape;
  const args = callArguments(main, main.masked.indexOf("(", declared.offset));
  const key = args[1] === undefined ? undefined : lambda(args[1]);
  const value = args[2] === undefined ? undefined : lambda(args[2]);
  const template = key === undefined ? null : /^'([A-Za-z0-9_]+)\$\{\s*(\w+)\s*\}'$/.exec(key.body.value);
  if (args.length !== 3 || key === undefined || value === undefined || template?.[2] !== key.param) {
    return `${shape} (infra/main.bicep:${lineOf(main, declared.offset)})`;
  }
  const prefix = template[1] ?? "";
  const example = `${prefix}EXAMPLE`;
  return { variable: name, prefix, example, value: { ...value.body, key: example } };
}

/** The app settings object and whether it really reaches the function app. */
function appSettingsOf(infra: Infra): AppSettings {
  const problems: string[] = [];
  const main = infra.main;
  if (main === undefined) {
    return { entries: new Map(), generated: [], problems: ["infra/main.bicep is missing"] };
  }
  const open = blockAfter(main, /^[ \t]*var[ \t]+appSettings[ \t]*=[ \t]*\{/m);
  if (open === -1) {
    return {
      entries: new Map(),
      generated: [],
      problems: [
        "infra/main.bicep has no `var appSettings = { ... }` object literal holding the app settings",
      ],
    };
  }
  const entries = new Map(objectEntries(main, open).map((found) => [found.key, found]));

  const site = declaring(infra, "Microsoft.Web/sites/config");
  const properties = site === undefined ? undefined : entry(site.file, site.open, "properties");
  if (site === undefined || properties?.value !== "appSettings") {
    problems.push(
      "the function app's `Microsoft.Web/sites/config` 'appsettings' resource must use `properties: appSettings`",
    );
  }
  const apiModule = blockAfter(main, /^[ \t]*module[ \t]+api[ \t]+'[^']+'[ \t]*=[ \t]*\{/m);
  const apiParams = apiModule === -1 ? undefined : entry(main, apiModule, "params");
  const passed =
    apiParams === undefined
      ? undefined
      : entry(main, main.masked.indexOf("{", apiParams.offset), "appSettings");
  // `appSettings`, or `union(appSettings, <toObject var>, ...)`: nothing the checks cannot see.
  const parts =
    passed === undefined
      ? []
      : /^union\s*\(/.test(passed.value)
        ? callArguments(main, main.masked.indexOf("(", passed.offset)).map((part) => part.value)
        : [passed.value];
  if (parts.filter((part) => part === "appSettings").length !== 1) {
    problems.push(
      "infra/main.bicep must pass `appSettings: appSettings` (or `union(appSettings, <toObject var>, ...)`) to `module api`",
    );
  }
  const generated: GeneratedSettings[] = [];
  for (const part of parts.filter((candidate) => candidate !== "appSettings")) {
    const family = /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)
      ? generatedFamily(main, part)
      : `\`module api\` gets \`${part}\` among its app settings: name a toObject(...) var instead`;
    if (typeof family === "string") problems.push(family);
    else generated.push(family);
  }
  for (const family of generated) {
    for (const key of entries.keys()) {
      if (key.startsWith(family.prefix)) {
        problems.push(
          `${key} is in \`var appSettings\` and also made by \`${family.variable}\` (${family.prefix}*): one would replace the other`,
        );
      }
    }
  }
  return { entries, generated, problems };
}

const where = (file: BicepFile, found: Entry): string => `infra/main.bicep:${lineOf(file, found.offset)}`;

// --- the checks -----------------------------------------------------------------------------------

/** (a) Every setting the app cannot start without is an app setting with a non-empty value. */
export const requiredSettings: Check = (texts, contract) => {
  const infra = readInfra(texts);
  const { entries, problems } = appSettingsOf(infra);
  const found = [...problems];
  for (const key of contract.required) {
    const setting = entries.get(key);
    if (setting === undefined) {
      found.push(
        `${key} is required by src/config.ts (no default) but is not an app setting in infra/main.bicep`,
      );
    } else if (setting.value === "''" || setting.value === "") {
      found.push(`${key} is required by src/config.ts but its app setting is empty`);
    }
  }
  // Policy is deployment-specific: each POLICY_* setting must be settable through a parameter.
  for (const key of contract.keys.filter((name) => name.startsWith("POLICY_"))) {
    if (!entries.has(key)) {
      found.push(
        `${key} (policy, src/config.ts) has no app setting in infra/main.bicep; add a parameter for it`,
      );
    }
  }
  return found;
};

/** App settings the app does not read are typos or leftovers; Flex rejects the classic runtime ones. */
export const unknownSettings: Check = (texts, contract) => {
  const { entries, generated } = appSettingsOf(readInfra(texts));
  const known = new Set(contract.keys);
  const found: string[] = [];
  for (const key of entries.keys()) {
    if (FLEX_REJECTED_SETTINGS.has(key)) {
      found.push(
        `${key} is not allowed on Flex Consumption: runtime and deployment live in functionAppConfig`,
      );
    } else if (!known.has(key) && !(key in PLATFORM_SETTINGS)) {
      found.push(`${key} is an app setting in infra/main.bicep but src/config.ts does not read it (typo?)`);
    }
  }
  for (const family of generated) {
    if (!known.has(family.example) && !contract.readsByName(family.example)) {
      found.push(
        `\`${family.variable}\` makes settings named ${family.prefix}<NAME>, which the app does not read (typo?)`,
      );
    }
  }
  return found;
};

/**
 * Secrets reach the app only as Key Vault references to this template's own vault, never as a (secure)
 * parameter's value. Which settings are secrets is the app's own rule (contract.isSecret), asked of
 * every literal entry and of one name of every generated family.
 */
export const secretsFromKeyVault: Check = (texts, contract) => {
  const infra = readInfra(texts);
  const main = infra.main;
  const { entries, generated } = appSettingsOf(infra);
  if (main === undefined) return ["infra/main.bicep is missing"];
  const secureParams = params(main)
    .filter((param) => param.secure)
    .map((param) => param.name);
  // A reference names the vault by the keyvault module's output, or by the name the module is given.
  const vaultModule = blockAfter(main, /^[ \t]*module[ \t]+keyVault[ \t]+'[^']+'[ \t]*=[ \t]*\{/m);
  const vaultParams = vaultModule === -1 ? undefined : entry(main, vaultModule, "params");
  const vaultName =
    vaultParams === undefined ? undefined : entry(main, main.masked.indexOf("{", vaultParams.offset), "name");
  const vaultNameExpanded = vaultName === undefined ? undefined : expandVars(vaultName.value, infra.mainVars);
  const secrets = [
    ...[...entries.values()].filter((setting) => contract.isSecret(setting.key)),
    ...generated.filter((family) => contract.isSecret(family.example)).map((family) => family.value),
  ];
  const found: string[] = [];
  for (const setting of secrets) {
    const key = setting.key;
    const expanded = expandVars(setting.value, infra.mainVars);
    if (!expanded.includes("@Microsoft.KeyVault(SecretUri=")) {
      found.push(
        `${key} (${where(main, setting)}) must be a Key Vault reference, @Microsoft.KeyVault(SecretUri=...)`,
      );
    } else if (
      !expanded.includes("keyVault.outputs.uri") &&
      (vaultNameExpanded === undefined || !expanded.includes(vaultNameExpanded))
    ) {
      found.push(
        `${key} (${where(main, setting)}) refers to a vault other than \`module keyVault\`'s: ` +
          "use keyVault.outputs.uri, or the name the module is given",
      );
    }
    for (const name of secureParams) {
      if (new RegExp(`\\b${name}\\b`).test(expanded)) {
        found.push(`${key} (${where(main, setting)}) puts the secure parameter ${name} into an app setting`);
      }
    }
  }
  const site = declaring(infra, "Microsoft.Web/sites");
  const properties = site === undefined ? undefined : entry(site.file, site.open, "properties");
  const reference =
    site === undefined || properties === undefined
      ? undefined
      : entry(site.file, site.file.masked.indexOf("{", properties.offset), "keyVaultReferenceIdentity");
  if (reference === undefined) {
    found.push(
      "the function app sets no keyVaultReferenceIdentity: Key Vault references would resolve with a " +
        "system-assigned identity the app does not have",
    );
  }
  return found;
};

/**
 * Mapped webhooks can be deployed: SOURCE_MAPPINGS is an app setting fed by a parameter, and the
 * signature secrets the mappings name (settings the app reads by name) are made per name, so that a
 * provision writes them instead of wiping settings someone set by hand (docs/sources.md).
 */
export const mappedWebhooks: Check = (texts, contract) => {
  const infra = readInfra(texts);
  const main = infra.main;
  if (main === undefined) return ["infra/main.bicep is missing"];
  const { entries, generated } = appSettingsOf(infra);
  const found: string[] = [];
  const mappings = entries.get("SOURCE_MAPPINGS");
  const parameters = params(main).map((param) => param.name);
  if (mappings === undefined) {
    found.push("SOURCE_MAPPINGS is not an app setting in infra/main.bicep: the mappings cannot be deployed");
  } else {
    const expanded = expandVars(mappings.value, infra.mainVars);
    if (!parameters.some((name) => new RegExp(`\\b${name}\\b`).test(expanded))) {
      found.push(`SOURCE_MAPPINGS (${where(main, mappings)}) is not set from a parameter`);
    }
  }
  const secretFamilies = generated.filter(
    (family) => contract.readsByName(family.example) && contract.isSecret(family.example),
  );
  if (secretFamilies.length === 0) {
    found.push(
      "infra/main.bicep makes no settings the app reads by name as secrets (the SOURCE_SECRET_<NAME> of " +
        "mapped webhooks' signatures): add a toObject(...) family to the app settings",
    );
  }
  for (const family of secretFamilies) {
    const names = variableEntries(main).get(family.variable);
    const list =
      names === undefined
        ? ""
        : (callArguments(main, main.masked.indexOf("(", names.offset))[0]?.value ?? "");
    const fromParameter = parameters.some((name) =>
      new RegExp(`\\b${name}\\b`).test(expandVars(list, infra.mainVars)),
    );
    if (!fromParameter) {
      found.push(`\`${family.variable}\` makes its ${family.prefix}<NAME> settings from no parameter`);
    }
  }
  return found;
};

/** (b) No storage account key, connection string or SAS anywhere; shared-key access explicitly off. */
export const noSharedKeys: Check = (texts) => {
  const found: string[] = [];
  const forbidden: readonly [RegExp, string][] = [
    [/AccountKey\s*=/i, "an account key (AccountKey=)"],
    [/DefaultEndpointsProtocol/i, "a storage connection string (DefaultEndpointsProtocol)"],
    [/SharedAccessSignature/i, "a SAS connection string"],
    [/listKeys\s*\(/i, "listKeys(), which reads account keys"],
    [/list(Account|Service)Sas\s*\(/i, "a SAS minted from account keys"],
    [/allowSharedKeyAccess\s*:\s*true/i, "allowSharedKeyAccess: true"],
    [/\bconnectionStrings\s*:/, "siteConfig connection strings"],
    [/StorageAccountConnectionString/, "deployment storage authenticated with a connection string"],
  ];
  for (const [path, text] of Object.entries(texts.infra)) {
    // Comments may explain the rule; only code and string literals count.
    const code = path.endsWith(".bicep") ? readBicep(text).code : text;
    for (const [pattern, what] of forbidden) {
      const match = pattern.exec(code);
      if (match !== null) {
        found.push(`infra/${path}:${code.slice(0, match.index).split("\n").length} uses ${what}`);
      }
    }
  }
  const infra = readInfra(texts);
  for (const [path, file] of infra.files) {
    const header =
      /^[ \t]*resource[ \t]+\w+[ \t]+'Microsoft\.Storage\/storageAccounts@[^']+'[ \t]*=[ \t]*(if[ \t]*\([^\n]*\)[ \t]*)?\{/gm;
    for (const match of file.code.matchAll(header)) {
      const open = file.masked.indexOf("{", (match.index ?? 0) + match[0].length - 1);
      const properties = entry(file, open, "properties");
      const sharedKey =
        properties === undefined
          ? undefined
          : entry(file, file.masked.indexOf("{", properties.offset), "allowSharedKeyAccess");
      if (sharedKey?.value !== "false") {
        found.push(
          `infra/${path}:${lineOf(file, open)}: storage account without allowSharedKeyAccess: false ` +
            "(left out, Azure allows shared keys)",
        );
      }
    }
  }
  const { entries } = appSettingsOf(infra);
  for (const key of entries.keys()) {
    if (key === "AzureWebJobsStorage") {
      found.push(
        "AzureWebJobsStorage is set: that is the connection-string form; use AzureWebJobsStorage__* URIs",
      );
    } else if (/connection_?string/i.test(key) && key !== "APPLICATIONINSIGHTS_CONNECTION_STRING") {
      found.push(
        `${key} looks like a connection string setting; storage is reached with the managed identity`,
      );
    }
  }
  return found;
};

/** (c) Queue and table names in Bicep equal the schema defaults, and every queue has its poison queue. */
export const queueAndTableNames: Check = (texts, contract) => {
  const infra = readInfra(texts);
  const main = infra.main;
  if (main === undefined) return ["infra/main.bicep is missing"];
  const { entries } = appSettingsOf(infra);
  const found: string[] = [];

  const storageModule = blockAfter(main, /^[ \t]*module[ \t]+storage[ \t]+'[^']+'[ \t]*=[ \t]*\{/m);
  const storageParams = storageModule === -1 ? undefined : entry(main, storageModule, "params");
  const declared = (name: string): string[] | undefined => {
    if (storageParams === undefined) return undefined;
    const list = entry(main, main.masked.indexOf("{", storageParams.offset), name);
    if (list === undefined || !list.value.startsWith("[")) return undefined;
    return arrayElements(main, list.offset).map(
      (element) => evaluateString(element, infra.mainVars) ?? element,
    );
  };
  const queues = declared("queueNames");
  const tables = declared("tableNames");
  if (queues === undefined)
    found.push("`module storage` in infra/main.bicep declares no `queueNames: [...]`");
  if (tables === undefined)
    found.push("`module storage` in infra/main.bicep declares no `tableNames: [...]`");

  const names = (keys: readonly string[], list: readonly string[] | undefined, kind: string): void => {
    for (const key of keys) {
      const expected = contract.defaults[key];
      const setting = entries.get(key);
      const value = setting === undefined ? undefined : evaluateString(setting.value, infra.mainVars);
      if (setting === undefined) {
        found.push(`${key} is not an app setting in infra/main.bicep (the ${kind} name must be explicit)`);
      } else if (value === undefined) {
        found.push(`${key} (${where(main, setting)}) is not a literal name the check can read`);
      } else if (value !== expected) {
        found.push(`${key} is '${value}' in infra/main.bicep but '${String(expected)}' in src/config.ts`);
      }
      if (list === undefined || typeof expected !== "string") continue;
      if (!list.includes(expected))
        found.push(`${kind} '${expected}' (${key}) is not created by infra/main.bicep`);
      if (kind === "queue" && !list.includes(`${expected}-poison`)) {
        found.push(
          `queue '${expected}-poison' is not created: the host moves messages there after maxDequeueCount failures`,
        );
      }
    }
  };
  names(QUEUE_SETTINGS, queues, "queue");
  names(TABLE_SETTINGS, tables, "table");
  // The bundles queue has no setting of its own: its name derives from the jobs queue's.
  const bundles = bundleQueueName(String(contract.defaults.OWNER_CHANGE_JOBS_QUEUE));
  for (const queue of [bundles, poisonQueueName(bundles)]) {
    if (queues !== undefined && !queues.includes(queue)) {
      found.push(
        `queue '${queue}' (bundleQueueName of OWNER_CHANGE_JOBS_QUEUE) is not created by infra/main.bicep`,
      );
    }
  }

  const storageFile = [...infra.files.values()].find((file) =>
    /'Microsoft\.Storage\/storageAccounts\/queueServices\/queues@/.test(file.code),
  );
  if (storageFile === undefined || !/\bfor\s+\w+\s+in\s+queueNames\s*:/.test(storageFile.code)) {
    found.push("no queue resource loops over `queueNames`");
  }
  if (storageFile === undefined || !/\bfor\s+\w+\s+in\s+tableNames\s*:/.test(storageFile.code)) {
    found.push("no table resource loops over `tableNames`");
  }
  return found;
};

/** (d) The host and our clients reach storage with the user-assigned identity, and nothing else. */
export const storageIdentity: Check = (texts) => {
  const infra = readInfra(texts);
  const { entries } = appSettingsOf(infra);
  const found: string[] = [];
  for (const service of ["blobServiceUri", "queueServiceUri", "tableServiceUri", "clientId"]) {
    const key = `AzureWebJobsStorage__${service}`;
    const setting = entries.get(key);
    if (setting === undefined || setting.value === "''")
      found.push(`${key} is missing from the app settings`);
  }
  const credential = entries.get("AzureWebJobsStorage__credential");
  if (credential === undefined || evaluateString(credential.value, infra.mainVars) !== "managedidentity") {
    found.push("AzureWebJobsStorage__credential must be 'managedidentity'");
  }
  const clientId = entries.get("AzureWebJobsStorage__clientId");
  if (clientId !== undefined && !/\.clientId\b/.test(expandVars(clientId.value, infra.mainVars))) {
    found.push("AzureWebJobsStorage__clientId must be the user-assigned identity's client id (….clientId)");
  }

  const site = declaring(infra, "Microsoft.Web/sites");
  if (site === undefined) return [...found, "no Microsoft.Web/sites resource under infra/"];
  const identity = entry(site.file, site.open, "identity");
  const identityType =
    identity === undefined
      ? undefined
      : entry(site.file, site.file.masked.indexOf("{", identity.offset), "type");
  if (identityType === undefined || evaluateString(identityType.value, new Map()) !== "UserAssigned") {
    found.push(`infra/${site.path}: the function app's identity must be type 'UserAssigned'`);
  }
  const deploymentAuth = /authentication\s*:\s*\{[^}]*type\s*:\s*'([^']*)'/.exec(site.file.code);
  if (deploymentAuth?.[1] !== "UserAssignedIdentity") {
    found.push(
      `infra/${site.path}: the deployment package must be read with 'UserAssignedIdentity' authentication`,
    );
  }
  return found;
};

/** (e) Flex Consumption FC1, runtime node 22 (what the Functions host runs in Azure). */
export const runtime: Check = (texts) => {
  const infra = readInfra(texts);
  const found: string[] = [];
  const site = declaring(infra, "Microsoft.Web/sites");
  if (site === undefined) return ["no Microsoft.Web/sites resource under infra/"];
  const { file } = site;
  const inside = (open: number, key: string): Entry | undefined =>
    open === -1 ? undefined : entry(file, open, key);
  const open = (found?: Entry): number => (found === undefined ? -1 : file.masked.indexOf("{", found.offset));
  const properties = inside(site.open, "properties");
  const config = inside(open(properties), "functionAppConfig");
  const runtimeBlock = inside(open(config), "runtime");
  const name = inside(open(runtimeBlock), "name");
  const version = inside(open(runtimeBlock), "version");
  const nameValue = name === undefined ? undefined : evaluateString(name.value, new Map());
  const versionValue = version === undefined ? undefined : evaluateString(version.value, new Map());
  if (nameValue !== "node" || versionValue !== "22") {
    found.push(
      `infra/${site.path}: functionAppConfig.runtime must be { name: 'node', version: '22' } ` +
        `(found name ${nameValue ?? name?.value ?? "none"}, version ${versionValue ?? version?.value ?? "none"})`,
    );
  }
  const kind = inside(site.open, "kind");
  if (kind === undefined || !/linux/.test(kind.value)) {
    found.push(`infra/${site.path}: the function app must be kind 'functionapp,linux'`);
  }
  const plan = declaring(infra, "Microsoft.Web/serverfarms");
  const sku = plan === undefined ? undefined : entry(plan.file, plan.open, "sku");
  const skuName =
    plan === undefined || sku === undefined
      ? undefined
      : entry(plan.file, plan.file.masked.indexOf("{", sku.offset), "name");
  if (skuName === undefined || evaluateString(skuName.value, new Map()) !== "FC1") {
    found.push("the App Service plan must be Flex Consumption, sku name 'FC1'");
  }
  return found;
};

/** (f) host.json's maxDequeueCount equals the schema's QUEUE_MAX_DEQUEUE_COUNT default. */
export const hostMaxDequeueCount: Check = (texts, contract) => {
  let host: unknown;
  try {
    host = JSON.parse(texts.hostJson);
  } catch (error) {
    return [`host.json does not parse: ${(error as Error).message}`];
  }
  const queues = (host as { extensions?: { queues?: { maxDequeueCount?: unknown } } }).extensions?.queues;
  const actual = queues?.maxDequeueCount;
  const expected = contract.defaults.QUEUE_MAX_DEQUEUE_COUNT;
  if (actual !== expected) {
    return [
      `host.json extensions.queues.maxDequeueCount is ${String(actual)} but QUEUE_MAX_DEQUEUE_COUNT ` +
        `defaults to ${String(expected)} in src/config.ts: the last delivery would not record 'failed'`,
    ];
  }
  return [];
};

type Mappings = Readonly<Record<string, { readonly value?: unknown }>>;

/** The `parameters` of main.parameters.json, or why they cannot be read. */
function parameterMappings(texts: InfraTexts): { mappings: Mappings } | { problem: string } {
  const text = texts.infra["main.parameters.json"];
  if (text === undefined) return { problem: "infra/main.parameters.json is missing" };
  try {
    return { mappings: (JSON.parse(text) as { parameters?: Mappings }).parameters ?? {} };
  } catch (error) {
    return { problem: `infra/main.parameters.json does not parse: ${(error as Error).message}` };
  }
}

/** main.parameters.json maps only real parameters, and every parameter without a default. */
export const parametersFile: Check = (texts) => {
  const infra = readInfra(texts);
  if (infra.main === undefined) return ["infra/main.bicep is missing"];
  const read = parameterMappings(texts);
  if ("problem" in read) return [read.problem];
  const mapped = Object.keys(read.mappings);
  const declared = params(infra.main);
  const names = new Set(declared.map((param) => param.name));
  const found: string[] = [];
  for (const name of mapped) {
    if (!names.has(name))
      found.push(`infra/main.parameters.json maps '${name}', which main.bicep does not declare`);
  }
  for (const param of declared) {
    if (param.defaultValue === undefined && !mapped.includes(param.name)) {
      found.push(`main.bicep parameter '${param.name}' has no default and is not in main.parameters.json`);
    }
  }
  return found;
};

/** The value of a literal default (string, integer or boolean), or undefined for any other expression. */
function literalOf(expr: string, vars: ReadonlyMap<string, string>): string | undefined {
  return /^(-?\d+|true|false)$/.test(expr) ? expr : evaluateString(expr, vars);
}

/** How main.parameters.json maps a parameter to one variable: `${VAR}` or `${VAR=default}`. */
const VARIABLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:=([^}]*))?\}$/;

/**
 * (g) A parameter with a default keeps it when its variable is set but empty. azd passes such a
 * variable to Bicep as '' (it leaves a parameter out only when the variable is missing altogether), and
 * the deploy workflow sets every variable it lists, a GitHub variable that does not exist as ''. So each
 * mapping carries the default, `${VAR=default}`: azd's substitution (drone/envsubst) uses it for an
 * empty value as well as a missing one. A parameter whose default is '' needs none; one without a
 * default stops the deployment when blank (azd asks for it, or `--no-prompt` fails naming it).
 */
export const defaultsSurviveBlanks: Check = (texts) => {
  const infra = readInfra(texts);
  if (infra.main === undefined) return ["infra/main.bicep is missing"];
  const read = parameterMappings(texts);
  if ("problem" in read) return [read.problem];
  const declared = new Map(params(infra.main).map((param) => [param.name, param]));
  const found: string[] = [];
  for (const [name, { value }] of Object.entries(read.mappings)) {
    const written = declared.get(name)?.defaultValue;
    if (written === undefined || typeof value !== "string" || !value.includes("${")) continue;
    const fallback = literalOf(written, infra.mainVars);
    if (fallback === undefined) {
      found.push(
        `main.bicep parameter '${name}' defaults to ${written}, not a literal this check can compare`,
      );
      continue;
    }
    if (fallback === "") continue;
    const reference = VARIABLE_REFERENCE.exec(value);
    if (reference === null) {
      found.push(
        `infra/main.parameters.json maps '${name}' to '${value}': write one \${VAR=${fallback}} reference`,
      );
      continue;
    }
    const [, variable, given] = reference;
    if (given === undefined) {
      found.push(
        `infra/main.parameters.json maps '${name}' to \${${variable}}: set but empty (a GitHub variable that ` +
          `does not exist) it reaches Bicep as '' instead of the default '${fallback}'; write \${${variable}=${fallback}}`,
      );
    } else if (given !== fallback) {
      found.push(
        `infra/main.parameters.json gives '${name}' the default '${given}' but main.bicep's is '${fallback}'`,
      );
    }
  }
  return found;
};

/** Names that look secret to Bicep's rule (SecretsInParamsMustBeSecureRule in the Bicep repository)… */
const SECRET_LOOKING = /password|pwd|secret|accountkey|acctkey/i;
/** …unless they are a pattern the rule knows is not a secret (a secret's name, version, URI or permissions). */
const SECRET_LOOKING_ALLOWED = /secretpermissions|secretversion|secretur[il]|secretname/i;

/**
 * (h) No string or object parameter that looks like a secret lacks `@secure()`: the linter rule
 * secure-secrets-in-params, read off the text because no Bicep compiler runs here (CI's `az bicep lint`
 * runs the rule itself, raised to an error in infra/bicepconfig.json).
 */
export const secretLookingParams: Check = (texts) => {
  const found: string[] = [];
  for (const [path, file] of readInfra(texts).files) {
    for (const param of params(file)) {
      const stringOrObject = /^(string|object)\??$/.test(param.type);
      if (
        stringOrObject &&
        !param.secure &&
        SECRET_LOOKING.test(param.name) &&
        !SECRET_LOOKING_ALLOWED.test(param.name)
      ) {
        found.push(
          `infra/${path}: parameter '${param.name}' looks like a secret to Bicep's linter ` +
            "(secure-secrets-in-params): mark it @secure() or, if it is not one, rename it (e.g. …SecretName)",
        );
      }
    }
  }
  return found;
};

/** Every check, by name, for the tests to run on real and broken copies. */
export const checks = {
  requiredSettings,
  unknownSettings,
  secretsFromKeyVault,
  mappedWebhooks,
  noSharedKeys,
  queueAndTableNames,
  storageIdentity,
  runtime,
  hostMaxDequeueCount,
  parametersFile,
  defaultsSurviveBlanks,
  secretLookingParams,
} as const satisfies Record<string, Check>;
