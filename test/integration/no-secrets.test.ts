import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { TableClient } from "@azure/data-tables";
import standardWebhooks from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { DEV_CLIENT_ID } from "../../dev/stack/credentials.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { receiveAll } from "../../dev/stack/queues.ts";
import type { StatusDocument } from "../../src/changes/model.ts";

/**
 * No secret in any log or status document of a whole run: signed webhooks (good and bad), adds and
 * removes, a revoked token and its refresh, an IMS failure and an owners-API error that both echo the
 * request back, callers passing function keys as header and as `?code=`, a SCIM identity provider with
 * its bearer token (and one with a wrong one), and a mapped webhook signed with its source secret. Then every line the
 * runner printed (its own and the app's), every row of the status table and every poison message is
 * searched for every secret of the run — and for any ten-character piece of one, so a secret cut short
 * by a length limit is caught too.
 */

const CLIENT_ID = DEV_CLIENT_ID;
const CLIENT_SECRET = `ims-S3cret-${randomUUID()}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const WRONG_SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const HEADER_KEY = `fkey-header-${randomBytes(18).toString("base64url")}`;
const QUERY_KEY = `fkey-query-${randomBytes(18).toString("base64url")}`;
const SCIM_TOKEN = `scim-${randomBytes(24).toString("base64url")}`;
const SOURCE_SECRET = `src-${randomBytes(24).toString("base64url")}`;
/** A mapped webhook whose deliveries are signed with SOURCE_SECRET (docs/sources.md). */
const SOURCE_MAPPINGS = JSON.stringify({
  tickets: {
    itwinId: "itwinId",
    email: "email",
    action: "action",
    signature: {
      scheme: "hmac-sha256",
      header: "X-Signature",
      prefix: "sha256=",
      encoding: "hex",
      secretSetting: "SOURCE_SECRET_TICKETS",
    },
  },
});
const FRAGMENT = 10;

/**
 * IMS in front of the simulator's, so the test can make a token request fail the way a misconfigured
 * proxy or identity provider does: an error whose description quotes the request form, secret included.
 */
class EchoingIms {
  failuresLeft = 0;
  target = "";
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      if (req.url === "/.well-known/openid-configuration") {
        reply(200, { issuer: this.url, token_endpoint: `${this.url}/connect/token` });
      } else if (this.failuresLeft > 0) {
        this.failuresLeft--;
        reply(400, { error: "invalid_request", error_description: `could not read the request: ${body}` });
      } else {
        void fetch(`${this.target}${req.url}`, {
          method: "POST",
          headers: { "content-type": req.headers["content-type"] ?? "" },
          body,
        }).then(async (answer) => reply(answer.status, await answer.json()));
      }
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let stack: AppStack;
const ims = new EchoingIms();
/** Every bearer token the simulated IMS issued during the run. */
const issuedTokens: string[] = [];
/** Every webhook-signature value sent, good or bad. */
const signaturesSent: string[] = [];

beforeAll(async () => {
  await ims.listen();
  stack = await startAppStack({
    env: {
      ITWIN_CLIENT_SECRET: CLIENT_SECRET,
      ITWIN_AUTHORITY: ims.url,
      WEBHOOK_SECRETS: WEBHOOK_SECRET,
      SCIM_BEARER_TOKENS: `idp=${SCIM_TOKEN}`,
      SOURCE_MAPPINGS,
      SOURCE_SECRET_TICKETS: SOURCE_SECRET,
    },
    simulator: { clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }] },
  });
  ims.target = stack.simulator.url;
  // Read the tokens off the simulator's token store as it issues them.
  const tokens = stack.simulator.state.tokens;
  const issue = tokens.issue.bind(tokens);
  tokens.issue = (clientId) => {
    const issued = issue(clientId);
    issuedTokens.push(issued.accessToken);
    return issued;
  };
});
afterAll(async () => {
  await stack?.stop();
  await ims.close();
});

const url = (path: string) => `${stack.runner.url}${path}?code=${QUERY_KEY}`;

/** A Standard Webhooks delivery; `sign` may produce a bad signature on purpose. */
async function deliver(
  change: Record<string, unknown>,
  sign: (id: string, at: Date, body: string) => string = (id, at, body) =>
    new standardWebhooks.Webhook(WEBHOOK_SECRET).sign(id, at, body),
  at = new Date(),
): Promise<Response> {
  const body = JSON.stringify(change);
  const id = `msg_${randomUUID()}`;
  const signature = sign(id, at, body);
  signaturesSent.push(signature);
  return fetch(url("/api/owner-changes"), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-functions-key": HEADER_KEY,
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body,
  });
}

async function submit(change: Record<string, unknown>): Promise<StatusDocument> {
  const response = await deliver(change);
  expect(response.status).toBe(202);
  const { id } = (await response.json()) as { id: string };
  return waitFor(
    async () => {
      const answer = await fetch(url(`/api/owner-changes/${id}`), {
        headers: { "x-functions-key": HEADER_KEY },
      });
      const doc = (await answer.json()) as StatusDocument;
      return ["succeeded", "failed", "rejected", "held"].includes(doc.status) ? doc : undefined;
    },
    `request ${id} settled`,
    30_000,
    100,
  );
}

/** Everything the run wrote down: runner output, status table rows, poison messages. */
async function everythingWritten(): Promise<string> {
  const table = TableClient.fromConnectionString(stack.azurite.connectionString, "OwnerChanges", {
    allowInsecureConnection: true,
  });
  const rows: unknown[] = [];
  for await (const row of table.listEntities()) rows.push(row);
  const poison = [];
  for (const queue of ["owner-change-requests-poison", "owner-change-jobs-poison"]) {
    poison.push(...(await receiveAll(stack.azurite.connectionString, queue)));
  }
  return [stack.runner.logs(), JSON.stringify(rows), JSON.stringify(poison)].join("\n");
}

/** The secret and each of its pieces of FRAGMENT characters. */
function pieces(secret: string): string[] {
  if (secret.length <= FRAGMENT) return [secret];
  return Array.from({ length: secret.length - FRAGMENT + 1 }, (_, index) =>
    secret.slice(index, index + FRAGMENT),
  );
}

describe("a full run with secrets configured", () => {
  it("leaves no secret, token, signature or function key in any log line or status document", async () => {
    const itwin = SEEDED_ITWINS.bridgeRetrofit;
    expect(await submit({ itwinId: itwin, email: "alice@corp.example", action: "add" })).toMatchObject({
      status: "succeeded",
      outcome: "added",
    });

    // Bad signatures: another secret, random bytes, a tampered body, a stale timestamp.
    const change = { itwinId: itwin, email: "mallory@corp.example", action: "add" };
    const bad = [
      await deliver(change, (id, at, body) => new standardWebhooks.Webhook(WRONG_SECRET).sign(id, at, body)),
      await deliver(change, () => `v1,${randomBytes(32).toString("base64")}`),
      await deliver(change, (id, at, body) =>
        new standardWebhooks.Webhook(WEBHOOK_SECRET).sign(id, at, body.replace("mallory", "mal")),
      ),
      await deliver(
        change,
        (id, at, body) => new standardWebhooks.Webhook(WEBHOOK_SECRET).sign(id, at, body),
        new Date(Date.now() - 3_600_000),
      ),
    ];
    expect(bad.map((response) => response.status)).toEqual([401, 401, 401, 401]);

    // A revoked token: the API answers 401, the app fetches a new one and the change goes through.
    stack.simulator.state.revokeTokens();
    expect(await submit({ itwinId: itwin, email: "bob@corp.example", action: "add" })).toMatchObject({
      status: "succeeded",
    });

    // IMS refuses the refresh and quotes the form, client secret and all.
    ims.failuresLeft = 1;
    stack.simulator.state.revokeTokens();
    const imsFailure = await submit({ itwinId: itwin, email: "carl@corp.example", action: "add" });
    expect(imsFailure).toMatchObject({ status: "failed", error: { code: "invalid_request" } });
    expect(imsFailure.error?.message).toContain(`client_id=${CLIENT_ID}`);

    expect(await submit({ itwinId: itwin, email: "alice@corp.example", action: "remove" })).toMatchObject({
      status: "succeeded",
      outcome: "removed",
    });

    // The owners API (or a gateway) refuses with a page that echoes the request, the token once more
    // where the message is cut to its 500 characters, so that only the token's start would be kept.
    const token = issuedTokens.at(-1) as string;
    const head = [
      "400 Bad Request",
      `Authorization: Bearer ${token}`,
      `x-functions-key: ${HEADER_KEY}`,
      `client secret ${CLIENT_SECRET}`,
    ].join(" ");
    const echo = `${head}\n${"x".repeat(480 - head.length - 2)}\n${token} (end of page)`;
    stack.simulator.state.setFaults({
      rules: [
        { method: "POST", pathIncludes: SEEDED_ITWINS.waterPlant, respond: { status: 400, body: echo } },
      ],
    });
    const apiError = await submit({
      itwinId: SEEDED_ITWINS.waterPlant,
      email: "dave@corp.example",
      action: "add",
    });
    expect(apiError).toMatchObject({ status: "failed", error: { code: "Http400" } });
    expect(apiError.error?.message).toMatch(/^400 Bad Request Authorization: Bearer \[redacted\]/);

    // SCIM with the right token and with a wrong one that shares its start.
    const scim = (token: string) =>
      fetch(`${stack.runner.url}/api/scim/v2/Users`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
        body: JSON.stringify({
          schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
          userName: "erin@corp.example",
        }),
      });
    expect((await scim(SCIM_TOKEN)).status).toBe(201);
    expect((await scim(`${SCIM_TOKEN.slice(0, -4)}XXXX`)).status).toBe(401);

    // A mapped webhook, signed with the source secret, and the same with a signature made with a wrong one.
    const event = JSON.stringify({ itwinId: itwin, email: "frank@corp.example", action: "add" });
    const source = (secret: string) =>
      fetch(url("/api/sources/tickets"), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-signature": `sha256=${createHmac("sha256", secret).update(event).digest("hex")}`,
        },
        body: event,
      });
    expect((await source(SOURCE_SECRET)).status).toBe(202);
    expect((await source(`${SOURCE_SECRET}x`)).status).toBe(401);

    await stack.runner.stop();
    const written = await everythingWritten();
    expect(issuedTokens.length).toBeGreaterThanOrEqual(3);
    expect(signaturesSent).toHaveLength(9);
    const storageKey = /AccountKey=([^;]+)/.exec(stack.azurite.connectionString)?.[1] as string;
    const secrets: Record<string, string[]> = {
      "client secret": [CLIENT_SECRET],
      "webhook secret": [WEBHOOK_SECRET, WEBHOOK_SECRET.replace("whsec_", "")],
      "SCIM bearer token": [SCIM_TOKEN],
      "source secret": [SOURCE_SECRET],
      "function key (header)": [HEADER_KEY],
      "function key (?code=)": [QUERY_KEY],
      "storage account key": [storageKey],
      "bearer token": issuedTokens,
      "webhook signature": signaturesSent.map((signature) => signature.replace(/^v1,/, "")),
    };
    const found = Object.entries(secrets).flatMap(([what, values]) =>
      values.flatMap((value) =>
        pieces(value)
          .filter((piece) => written.includes(piece))
          .map(
            (piece) =>
              `${what}: …${written.slice(Math.max(0, written.indexOf(piece) - 60), written.indexOf(piece) + 30)}…`,
          ),
      ),
    );
    expect(found).toEqual([]);
    // The run did write what the search is over: the app's lines, the runner's, the failed documents.
    expect(written).toMatch(/rejected unsigned or badly signed webhook/);
    expect(written).toMatch(/Executed/);
    expect(written).toMatch(/could not read the request/);
  });
});
