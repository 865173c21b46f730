import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";

/**
 * The SCIM service provider through the real runner (azurite, simulator, runner as in npm start), driven
 * by request sequences as Entra ID and Okta send them: their casing, encodings, bodies and lookups. Each
 * real-client quirk of issue 10 §1 has a test here, named after it. Group names carry no iTwin id, so
 * these writes map to no iTwin (what a mapped group does is scim-ownership's test).
 */

const ENTRA_TOKEN = `entra-${"e".repeat(40)}`;
const OKTA_TOKEN = `okta-${"o".repeat(40)}`;
const SCIM = "application/scim+json";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

let stack: AppStack;

beforeAll(async () => {
  stack = await startAppStack({
    env: { SCIM_BEARER_TOKENS: `entra=${ENTRA_TOKEN},okta=${OKTA_TOKEN}` },
    hostJson: "test/integration/host.json",
  });
});
afterAll(async () => {
  await stack?.stop();
});

interface Sent {
  token?: string | null;
  body?: unknown;
  contentType?: string;
}

/** One SCIM call; `path` is after /api/scim/v2 and sent exactly as written (encodings included). */
async function scim(method: string, path: string, sent: Sent = {}) {
  const token = sent.token === undefined ? ENTRA_TOKEN : sent.token;
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (sent.body !== undefined) headers["content-type"] = sent.contentType ?? SCIM;
  const response = await fetch(`${stack.runner.url}/api/scim/v2${path}`, {
    method,
    headers,
    ...(sent.body === undefined
      ? {}
      : { body: typeof sent.body === "string" ? sent.body : JSON.stringify(sent.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    headers: response.headers,
    // biome-ignore lint/suspicious/noExplicitAny: SCIM bodies are read field by field in the assertions
    body: (text === "" ? undefined : JSON.parse(text)) as any,
  };
}

const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const memberIds = (group: { members?: { value: string }[] }) =>
  (group.members ?? []).map((m) => m.value).sort();
const q = (text: string) => encodeURIComponent(text);

async function createUser(userName: string, token = ENTRA_TOKEN): Promise<string> {
  const created = await scim("POST", "/Users", {
    token,
    body: {
      schemas: [USER_SCHEMA],
      userName,
      active: true,
      emails: [{ value: userName, type: "work", primary: true }],
    },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe("Entra ID", () => {
  it("Test Connection: a random userName gets 200 and an empty ListResponse", async () => {
    const found = await scim("GET", `/Users?filter=${q(`userName eq "${randomUUID()}"`)}`);
    expect(found.status).toBe(200);
    expect(found.type).toBe(SCIM);
    expect(found.body).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  it("reads the discovery endpoints", async () => {
    expect((await scim("GET", "/ServiceProviderConfig")).body).toMatchObject({ patch: { supported: true } });
    expect((await scim("GET", "/ResourceTypes")).body.totalResults).toBe(2);
    expect((await scim("GET", "/ResourceTypes/User")).body).toMatchObject({ id: "User", endpoint: "/Users" });
    expect((await scim("GET", `/Schemas/${GROUP_SCHEMA}`)).body).toMatchObject({ id: GROUP_SCHEMA });
  });

  it("provisions a user and a group, then manages membership and the user's state as Entra sends it", async () => {
    // Matching first, then create: Entra's order for a user it has not seen.
    const userName = "Entra.Alice@Corp.example";
    expect((await scim("GET", `/Users?filter=${q(`userName eq "${userName}"`)}`)).body.totalResults).toBe(0);
    const created = await scim("POST", "/Users", {
      body: {
        schemas: [USER_SCHEMA, ENTERPRISE],
        externalId: "entra-alice",
        userName,
        active: true,
        displayName: "Alice",
        emails: [{ primary: true, type: "work", value: "entra.alice@corp.example" }],
        name: { formatted: "Alice Example", familyName: "Example", givenName: "Alice" },
        [ENTERPRISE]: { department: "Engineering", employeeNumber: "4711" },
      },
    });
    expect(created.status).toBe(201);
    const alice = created.body.id as string;
    expect(created.headers.get("location")).toBe(`${stack.runner.url}/api/scim/v2/Users/${alice}`);
    expect(created.body).toMatchObject({
      userName,
      externalId: "entra-alice",
      [ENTERPRISE]: { department: "Engineering" },
    });

    // The lookups Entra makes by each matching attribute: userName in another case, the work email.
    for (const filter of [
      `userName eq "entra.alice@corp.example"`,
      `externalId eq "entra-alice"`,
      `emails[type eq "work"].value eq "ENTRA.ALICE@corp.example"`,
      `userName eq "entra.alice@corp.example" and externalId eq "entra-alice"`,
    ]) {
      const found = await scim("GET", `/Users?filter=${q(filter)}`);
      expect(
        found.body.Resources.map((user: { id: string }) => user.id),
        filter,
      ).toEqual([alice]);
    }

    const group = await scim("POST", "/Groups", {
      body: {
        schemas: [GROUP_SCHEMA],
        displayName: "Entra Engineering",
        externalId: "entra-group-1",
        members: [],
      },
    });
    expect(group.status).toBe(201);
    const groupId = group.body.id as string;

    // excludedAttributes=members on every group read
    const listed = await scim(
      "GET",
      `/Groups?excludedAttributes=members&filter=${q('displayName eq "Entra Engineering"')}`,
    );
    expect(listed.body.Resources).toEqual([expect.not.objectContaining({ members: expect.anything() })]);

    // Capitalised ops; member values with "$ref": null
    const added = await scim("PATCH", `/Groups/${groupId}`, {
      body: patch({ op: "Add", path: "members", value: [{ value: alice, $ref: null }] }),
    });
    expect(added.status).toBe(204);
    const read = await scim("GET", `/Groups/${groupId}?excludedAttributes=members`);
    expect(read.body).not.toHaveProperty("members");
    expect(memberIds((await scim("GET", `/Groups/${groupId}`)).body)).toEqual([alice]);

    // members[value eq "id"] as a filter: Entra's membership check
    const isMember = `id eq "${groupId}" and members[value eq "${alice}"]`;
    expect(
      (await scim("GET", `/Groups?excludedAttributes=members&filter=${q(isMember)}`)).body.totalResults,
    ).toBe(1);

    // active as the string "False"; a disabled user is still returned by GET
    const disabled = await scim("PATCH", `/Users/${alice}`, {
      body: patch({ op: "Replace", path: "active", value: "False" }),
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body.active).toBe(false);
    expect((await scim("GET", `/Users/${alice}`)).body).toMatchObject({ id: alice, active: false });
    expect((await scim("GET", `/Users?filter=${q(`userName eq "${userName}"`)}`)).body.totalResults).toBe(1);

    // Remove with path "members" and a value list
    const removed = await scim("PATCH", `/Groups/${groupId}`, {
      body: patch({ op: "Remove", path: "members", value: [{ value: alice, $ref: null }] }),
    });
    expect(removed.status).toBe(204);
    expect(memberIds((await scim("GET", `/Groups/${groupId}`)).body)).toEqual([]);

    // ... and the RFC form, members[value eq "id"], twice: the repeat of a done removal succeeds
    await scim("PATCH", `/Groups/${groupId}`, {
      body: patch({ op: "Add", path: "members", value: [{ value: alice }] }),
    });
    for (let i = 0; i < 2; i++) {
      const again = await scim("PATCH", `/Groups/${groupId}`, {
        body: patch({ op: "Remove", path: `members[value eq "${alice}"]` }),
      });
      expect(again.status).toBe(204);
    }
    expect(memberIds((await scim("GET", `/Groups/${groupId}`)).body)).toEqual([]);

    expect((await scim("DELETE", `/Users/${alice}`)).status).toBe(204);
    expect((await scim("GET", `/Users/${alice}`)).status).toBe(404);
    expect((await scim("DELETE", `/Groups/${groupId}`)).status).toBe(204);
  });
});

describe("Okta", () => {
  it("looks up with %20-encoded spaces and creates with Content-Type application/json", async () => {
    const filter = "userName%20eq%20%22okta.bob%40corp.example%22";
    expect(
      (await scim("GET", `/Users?filter=${filter}&startIndex=1&count=100`, { token: OKTA_TOKEN })).body
        .totalResults,
    ).toBe(0);
    const created = await scim("POST", "/Users", {
      token: OKTA_TOKEN,
      contentType: "application/json",
      body: {
        schemas: [USER_SCHEMA],
        userName: "okta.bob@corp.example",
        name: { givenName: "Bob", familyName: "Example" },
        emails: [{ primary: true, value: "okta.bob@corp.example", type: "work" }],
        displayName: "Bob Example",
        active: true,
        password: "Okta-Sends-1-Sometimes",
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty("password");
    const found = await scim("GET", `/Users?filter=${filter}&startIndex=1&count=100`, { token: OKTA_TOKEN });
    expect(found.body.Resources.map((user: { id: string }) => user.id)).toEqual([created.body.id]);
  });

  it("updates with a full PUT echoing read-only attributes, and deactivates with a pathless replace", async () => {
    const bob = await createUser("okta.put@corp.example", OKTA_TOKEN);
    const current = (await scim("GET", `/Users/${bob}`, { token: OKTA_TOKEN })).body;
    const put = await scim("PUT", `/Users/${bob}`, {
      token: OKTA_TOKEN,
      contentType: "application/json",
      body: {
        ...current,
        id: "not-ours",
        groups: [{ value: "g" }],
        meta: { ...current.meta, created: "1999-01-01T00:00:00Z" },
        title: "Lead",
      },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: bob, title: "Lead", meta: { created: current.meta.created } });
    expect(put.body).not.toHaveProperty("groups");

    const off = await scim("PATCH", `/Users/${bob}`, {
      token: OKTA_TOKEN,
      contentType: "application/json",
      body: patch({ op: "replace", value: { active: false } }),
    });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: bob, active: false, title: "Lead" });
  });

  it('pushes a group with "members": [] then adds, removes + adds in one request, and replaces all', async () => {
    const [a, b, c] = [
      await createUser("okta.a@corp.example", OKTA_TOKEN),
      await createUser("okta.b@corp.example", OKTA_TOKEN),
      await createUser("okta.c@corp.example", OKTA_TOKEN),
    ];
    const pushed = await scim("POST", "/Groups", {
      token: OKTA_TOKEN,
      contentType: "application/json",
      body: { schemas: [GROUP_SCHEMA], displayName: "Okta Push", members: [] },
    });
    expect(pushed.status).toBe(201);
    const id = pushed.body.id as string;
    const send = (body: unknown) =>
      scim("PATCH", `/Groups/${id}`, { token: OKTA_TOKEN, contentType: "application/json", body });
    const members = async () => memberIds((await scim("GET", `/Groups/${id}`, { token: OKTA_TOKEN })).body);

    expect(
      (
        await send(
          patch({
            op: "add",
            path: "members",
            value: [{ value: a, display: "okta.a@corp.example" }, { value: b }],
          }),
        )
      ).status,
    ).toBe(204);
    expect(await members()).toEqual([a, b].sort());
    await send(
      patch(
        { op: "remove", path: `members[value eq "${a}"]` },
        { op: "add", path: "members", value: [{ value: c }] },
      ),
    );
    expect(await members()).toEqual([b, c].sort());
    await send(patch({ op: "replace", path: "members", value: [{ value: a }] }));
    expect(await members()).toEqual([a]);
    // Okta finds its pushed group by name, spaces %20-encoded.
    const found = await scim("GET", "/Groups?filter=displayName%20eq%20%22Okta%20Push%22", {
      token: OKTA_TOKEN,
    });
    expect(found.body.Resources.map((group: { id: string }) => group.id)).toEqual([id]);
  });
});

describe("protocol rules", () => {
  it("answers 401 with a SCIM error body for a missing or wrong token, before reading anything", async () => {
    for (const token of [null, "x".repeat(45)]) {
      const refused = await scim("GET", "/Users", { token });
      expect(refused.status).toBe(401);
      expect(refused.type).toBe(SCIM);
      expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(refused.body).toMatchObject({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
        status: "401",
      });
    }
  });

  it("answers SCIM errors with scimType: 409 uniqueness, 400 invalidFilter / invalidValue / invalidSyntax, 404", async () => {
    await createUser("dup.carol@corp.example");
    const error = async (
      status: number,
      scimType: string | undefined,
      method: string,
      path: string,
      body?: unknown,
    ) => {
      const answer = await scim(method, path, body === undefined ? {} : { body });
      expect(answer.status, `${method} ${path}`).toBe(status);
      expect(answer.body).toMatchObject({ status: String(status), ...(scimType ? { scimType } : {}) });
    };
    await error(409, "uniqueness", "POST", "/Users", { userName: "DUP.Carol@corp.example" });
    await scim("POST", "/Groups", { body: { displayName: "Dup Group" } });
    await error(409, "uniqueness", "POST", "/Groups", { displayName: "dup group" });
    await error(400, "invalidFilter", "GET", `/Users?filter=${q("userName eq")}`);
    await error(400, "invalidValue", "POST", "/Users", { active: true });
    await error(400, "invalidSyntax", "POST", "/Users", "{not json");
    await error(400, "invalidValue", "GET", "/Users?count=ten");
    await error(404, undefined, "GET", `/Users/${randomUUID()}`);
    await error(404, undefined, "GET", "/Widgets");
  });

  it("pages with startIndex and count over the filtered list, and projects with attributes", async () => {
    for (const name of ["page.1", "page.2", "page.3"]) await createUser(`${name}@paging.example`);
    const filter = q('userName co "@paging.example"');
    const second = await scim("GET", `/Users?filter=${filter}&startIndex=2&count=1&attributes=userName`);
    expect(second.body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(Object.keys(second.body.Resources[0]).sort()).toEqual(["id", "schemas", "userName"]);
  });
});
