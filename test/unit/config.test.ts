import { describe, expect, it } from "vitest";
import { appEnv, DEV_STORAGE } from "../../dev/stack/credentials.ts";
import { ConfigError, parseSettings } from "../../src/config.ts";

const minimal = appEnv({ connectionString: DEV_STORAGE }, { url: "http://127.0.0.1:7080" });

function problems(env: Record<string, string | undefined>): readonly string[] {
  try {
    parseSettings(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe("parseSettings", () => {
  it("fills the documented defaults", () => {
    expect(parseSettings(minimal)).toMatchObject({
      OWNER_CHANGE_REQUESTS_QUEUE: "owner-change-requests",
      OWNER_CHANGE_JOBS_QUEUE: "owner-change-jobs",
      OWNER_CHANGE_STATUS_TABLE: "OwnerChanges",
      ITWIN_SCOPE: "itwin-platform",
      QUEUE_MAX_DEQUEUE_COUNT: 5,
      POLICY_ALLOWED_EMAIL_DOMAINS: [],
      POLICY_DRY_RUN: false,
    });
  });

  it("names each missing or wrong setting", () => {
    const found = problems({
      ...minimal,
      ITWIN_CLIENT_SECRET: undefined,
      ITWIN_API_BASE_URL: "ftp://x",
      OWNER_CHANGE_JOBS_QUEUE: "Bad_Name",
    });
    expect(found.join("\n")).toMatch(/ITWIN_CLIENT_SECRET is not set/);
    expect(found.join("\n")).toMatch(/ITWIN_API_BASE_URL is invalid/);
    expect(found.join("\n")).toMatch(/OWNER_CHANGE_JOBS_QUEUE is invalid/);
    expect(problems({ ...minimal, RETRY_MAX_ATTEMPTS: "many" }).join()).toMatch(/RETRY_MAX_ATTEMPTS/);
  });

  it("needs storage as a connection string or as both identity-based URIs", () => {
    expect(problems({ ...minimal, AzureWebJobsStorage: undefined }).join()).toMatch(
      /AzureWebJobsStorage is not set/,
    );
    expect(
      problems({
        ...minimal,
        AzureWebJobsStorage: undefined,
        AzureWebJobsStorage__queueServiceUri: "https://a.queue.core.windows.net",
      }).join(),
    ).toMatch(/AzureWebJobsStorage__tableServiceUri is not set/);
    expect(
      parseSettings({
        ...minimal,
        AzureWebJobsStorage: undefined,
        AzureWebJobsStorage__queueServiceUri: "https://a.queue.core.windows.net",
        AzureWebJobsStorage__tableServiceUri: "https://a.table.core.windows.net",
        AzureWebJobsStorage__credential: "managedidentity",
      }).AzureWebJobsStorage__credential,
    ).toBe("managedidentity");
  });

  it("parses policy lists and flags", () => {
    const settings = parseSettings({
      ...minimal,
      POLICY_ALLOWED_EMAIL_DOMAINS: " Corp.example, ,x.example",
      POLICY_DRY_RUN: "true",
    });
    expect(settings.POLICY_ALLOWED_EMAIL_DOMAINS).toEqual(["corp.example", "x.example"]);
    expect(settings.POLICY_DRY_RUN).toBe(true);
    expect(problems({ ...minimal, POLICY_DRY_RUN: "maybe" }).join()).toMatch(/POLICY_DRY_RUN/);
  });

  it("names a Key Vault reference the platform could not resolve", () => {
    const found = problems({
      ...minimal,
      ITWIN_CLIENT_SECRET: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)",
    });
    expect(found.join()).toMatch(/ITWIN_CLIENT_SECRET is an unresolved Key Vault reference/);
  });

  it("parses webhook secrets and names a malformed one", () => {
    expect(
      parseSettings({ ...minimal, WEBHOOK_SECRETS: " whsec_YQ==, whsec_Yg== " }).WEBHOOK_SECRETS,
    ).toEqual(["whsec_YQ==", "whsec_Yg=="]);
    expect(problems({ ...minimal, WEBHOOK_SECRETS: "hunter2" }).join()).toMatch(/WEBHOOK_SECRETS/);
  });

  it("treats empty numbers as unset, as infra passes optional parameters", () => {
    const settings = parseSettings({
      ...minimal,
      POLICY_MASS_REMOVAL_THRESHOLD: "",
      POLICY_MASS_REMOVAL_WINDOW_MINUTES: "",
    });
    expect(settings).toMatchObject({
      POLICY_MASS_REMOVAL_THRESHOLD: 0,
      POLICY_MASS_REMOVAL_WINDOW_MINUTES: 60,
    });
    expect(problems({ ...minimal, POLICY_MASS_REMOVAL_THRESHOLD: "-1" }).join()).toMatch(
      /POLICY_MASS_REMOVAL_THRESHOLD/,
    );
  });
});
