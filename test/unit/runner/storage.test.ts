import { describe, expect, it } from "vitest";
import { describeConnection, resolveConnection } from "../../../dev/runner/storage.ts";

describe("resolveConnection", () => {
  it("defaults to AzureWebJobsStorage holding a connection string", () => {
    expect(resolveConnection(undefined, { AzureWebJobsStorage: "UseDevelopmentStorage=true" })).toEqual({
      kind: "connectionString",
      settingName: "AzureWebJobsStorage",
      connectionString: "UseDevelopmentStorage=true",
    });
  });

  it("reads identity-based settings (__queueServiceUri, __credential, __clientId)", () => {
    const env = {
      AzureWebJobsStorage__queueServiceUri: "https://acct.queue.core.windows.net",
      AzureWebJobsStorage__credential: "managedidentity",
      AzureWebJobsStorage__clientId: "1111",
    };
    expect(resolveConnection("AzureWebJobsStorage", env)).toEqual({
      kind: "identity",
      settingName: "AzureWebJobsStorage",
      queueServiceUri: "https://acct.queue.core.windows.net",
      credential: "managedidentity",
      clientId: "1111",
    });
  });

  it("derives the queue endpoint from __accountName", () => {
    expect(resolveConnection("Storage", { Storage__accountName: "acct" })).toMatchObject({
      kind: "identity",
      queueServiceUri: "https://acct.queue.core.windows.net",
    });
  });

  it("also tries the AzureWebJobs prefix, like the host", () => {
    expect(
      resolveConnection("MyStorage", { AzureWebJobsMyStorage: "UseDevelopmentStorage=true" }),
    ).toMatchObject({
      settingName: "AzureWebJobsMyStorage",
    });
  });

  it("names the settings to set when nothing is configured", () => {
    expect(() => resolveConnection(undefined, {})).toThrow(/AzureWebJobsStorage__queueServiceUri/);
  });

  it("describes connections without secrets", () => {
    const conn = resolveConnection(undefined, {
      AzureWebJobsStorage:
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0;QueueEndpoint=http://127.0.0.1:1/devstoreaccount1",
    });
    expect(describeConnection(conn)).toBe("AzureWebJobsStorage (http://127.0.0.1:1/devstoreaccount1)");
    expect(describeConnection(conn)).not.toContain("c2VjcmV0");
  });
});
