import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_DEFAULTS } from "../../../dev/simulator/cli-args.ts";
import { authenticateClient, DEFAULT_CLIENTS } from "../../../dev/simulator/clients.ts";
import { AZURITE_DEFAULT_PORTS } from "../../../dev/stack/azurite.ts";
import {
  DEV_CLIENT_ID,
  DEV_CLIENT_SECRET,
  DEV_STORAGE,
  DEVSTORE_ACCOUNT,
  DEVSTORE_KEY,
  devStoreConnectionString,
} from "../../../dev/stack/credentials.ts";
import { REPO_ROOT } from "../../../dev/stack/paths.ts";
import { parseStartArgs } from "../../../dev/start.ts";

/**
 * The dev credentials live in dev/stack/credentials.ts; local.settings.example.json must spell the same
 * values (JSON cannot import them), and the simulator must accept them.
 */
describe("dev credentials", () => {
  const example = JSON.parse(readFileSync(join(REPO_ROOT, "local.settings.example.json"), "utf8")) as {
    Values: Record<string, string>;
    Host: { LocalHttpPort: number };
  };
  const start = parseStartArgs([]);

  it("local.settings.example.json points `func start` at the stack `npm start` runs", () => {
    const simulatorUrl = `http://127.0.0.1:${CLI_DEFAULTS.port}`;
    expect(example.Values).toMatchObject({
      AzureWebJobsStorage: DEV_STORAGE,
      ITWIN_API_BASE_URL: simulatorUrl,
      ITWIN_AUTHORITY: simulatorUrl,
      ITWIN_CLIENT_ID: DEV_CLIENT_ID,
      ITWIN_CLIENT_SECRET: DEV_CLIENT_SECRET,
    });
    expect(start.kind === "run" && start.options).toMatchObject({
      port: example.Host.LocalHttpPort,
      simulatorPort: CLI_DEFAULTS.port,
    });
  });

  it("the simulator's default client is the dev client, and no other", () => {
    expect(DEFAULT_CLIENTS).toEqual([{ clientId: DEV_CLIENT_ID, clientSecret: DEV_CLIENT_SECRET }]);
    expect(authenticateClient(DEFAULT_CLIENTS, DEV_CLIENT_ID, DEV_CLIENT_SECRET)).toBe(true);
    expect(authenticateClient(DEFAULT_CLIENTS, DEV_CLIENT_ID, `${DEV_CLIENT_SECRET}x`)).toBe(false);
  });

  it("the explicit connection string names the development account on the given ports", () => {
    expect(devStoreConnectionString(AZURITE_DEFAULT_PORTS).split(";")).toEqual([
      "DefaultEndpointsProtocol=http",
      `AccountName=${DEVSTORE_ACCOUNT}`,
      `AccountKey=${DEVSTORE_KEY}`,
      "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1",
      "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1",
      "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1",
    ]);
  });
});
