import { afterEach, describe, expect, it } from "vitest";
import type { Invitation, Member } from "../../../dev/simulator/directory.ts";
import { SEEDED_ITWINS } from "../../../dev/simulator/seed.ts";
import { ownersPath, SERVICE_EMAIL, startTestSimulator, type TestSimulator } from "./helpers.ts";

let sim: TestSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

interface OwnersPage {
  members: Member[];
  _links: { self: { href: string }; next?: { href: string }; prev?: { href: string } };
}

const post = (s: TestSimulator, itwinId: string, body: unknown) =>
  s.api(ownersPath(itwinId), {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST owners", () => {
  it("adds a user of the organisation as a member: 201 { member, invitation: null }", async () => {
    sim = await startTestSimulator();
    const response = await post(sim, SEEDED_ITWINS.waterPlant, { email: "alice.smith@corp.example" });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-itwinplatform-media-type")).toBe("bentley.itwin-platform.v2");
    const body = (await response.json()) as { member: Member; invitation: null };
    expect(body).toEqual({
      member: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email: "alice.smith@corp.example",
        givenName: "Alice",
        surname: "Smith",
        organization: "Corp Example",
      },
      invitation: null,
    });
    expect(sim.state.owners(SEEDED_ITWINS.waterPlant).map((member) => member.email)).toEqual([
      SERVICE_EMAIL,
      "alice.smith@corp.example",
    ]);
  });

  it("invites a user outside the organisation: 201 { member: null, invitation }, and re-invites idempotently", async () => {
    sim = await startTestSimulator();
    const first = await post(sim, SEEDED_ITWINS.waterPlant, { email: "ext@partner.test" });
    expect(first.status).toBe(201);
    const body = (await first.json()) as { member: null; invitation: Invitation };
    expect(body.member).toBeNull();
    expect(body.invitation).toMatchObject({
      email: "ext@partner.test",
      invitedByEmail: SERVICE_EMAIL,
      status: "Pending",
    });
    expect(Date.parse(body.invitation.expirationDate) - Date.parse(body.invitation.createdDate)).toBe(
      7 * 24 * 3600 * 1000,
    );
    const again = await post(sim, SEEDED_ITWINS.waterPlant, { email: "EXT@partner.test" });
    expect(again.status).toBe(201);
    expect(((await again.json()) as { invitation: Invitation }).invitation.id).toBe(body.invitation.id);
    expect(sim.state.invitations(SEEDED_ITWINS.waterPlant)).toHaveLength(1);
    expect(sim.state.owners(SEEDED_ITWINS.waterPlant)).toHaveLength(1);
  });

  it("answers an existing owner with 409 iTwinMemberAlreadyExists", async () => {
    sim = await startTestSimulator();
    const carol = sim.state
      .owners(SEEDED_ITWINS.bridgeRetrofit)
      .find((m) => m.email === "carol@corp.example");
    const response = await post(sim, SEEDED_ITWINS.bridgeRetrofit, { email: "Carol@Corp.Example" });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: {
        code: "iTwinMemberAlreadyExists",
        message: `Member '${carol?.id}' already exists in iTwin '${SEEDED_ITWINS.bridgeRetrofit}'.`,
      },
    });
  });

  it("validates the body with 422 InvalidiTwinsMemberRequest", async () => {
    sim = await startTestSimulator();
    const missing = await post(sim, SEEDED_ITWINS.waterPlant, {});
    expect(missing.status).toBe(422);
    expect(await missing.json()).toEqual({
      error: {
        code: "InvalidiTwinsMemberRequest",
        message: "Request body or query is invalid.",
        details: [
          { code: "MissingRequiredProperty", message: "Required property is missing.", target: "email" },
        ],
      },
    });
    const unparsable = await post(sim, SEEDED_ITWINS.waterPlant, "{not json");
    expect(unparsable.status).toBe(422);
    const details = ((await unparsable.json()) as { error: { details: { code: string }[] } }).error.details;
    expect(details.map((detail) => detail.code)).toEqual(["MissingRequiredProperty", "InvalidRequestBody"]);
    const invalid = await post(sim, SEEDED_ITWINS.waterPlant, { email: "not-an-address" });
    expect(invalid.status).toBe(422);
    expect(await invalid.json()).toMatchObject({
      error: { details: [{ code: "InvalidValue", target: "email" }] },
    });
  });

  it("answers an unknown iTwin with 404 ItwinNotFound", async () => {
    sim = await startTestSimulator();
    const response = await post(sim, "00000000-0000-4000-8000-000000000000", { email: "a@corp.example" });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "ItwinNotFound", message: "Requested iTwin is not available." },
    });
  });
});

describe("GET owners", () => {
  it("returns members with null emails and a self link", async () => {
    sim = await startTestSimulator();
    const response = await sim.api(ownersPath(SEEDED_ITWINS.bridgeRetrofit));
    expect(response.status).toBe(200);
    const page = (await response.json()) as OwnersPage;
    expect(page.members.map((member) => member.email)).toEqual([SERVICE_EMAIL, "carol@corp.example", null]);
    expect(page.members[2]).toMatchObject({ givenName: null, surname: null, organization: null });
    expect(page._links).toEqual({
      self: { href: `${sim.url}${ownersPath(SEEDED_ITWINS.bridgeRetrofit)}?$skip=0&$top=100` },
    });
  });

  it("pages through Rail Yard by following absolute next links", async () => {
    sim = await startTestSimulator();
    const emails: (string | null)[] = [];
    let href: string | undefined = `${sim.url}${ownersPath(SEEDED_ITWINS.railYard)}`;
    let pages = 0;
    while (href && pages < 10) {
      const response = await sim.api(href.slice(sim.url.length));
      expect(response.status).toBe(200);
      const page = (await response.json()) as OwnersPage;
      emails.push(...page.members.map((member) => member.email));
      expect(page._links.self.href.startsWith(sim.url)).toBe(true);
      href = page._links.next?.href;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(emails).toHaveLength(251);
    expect(emails[0]).toBe(SERVICE_EMAIL);
    expect(emails.at(-1)).toBe("owner250@corp.example");
  });

  it("honours $top/$skip, clamps $top to the maximum and gives prev links", async () => {
    sim = await startTestSimulator({ maxPageSize: 20 });
    const page = (await (
      await sim.api(`${ownersPath(SEEDED_ITWINS.railYard)}?$top=5&$skip=10`)
    ).json()) as OwnersPage;
    expect(page.members.map((member) => member.email)).toEqual([
      "owner010@corp.example",
      "owner011@corp.example",
      "owner012@corp.example",
      "owner013@corp.example",
      "owner014@corp.example",
    ]);
    expect(page._links.prev?.href).toMatch(/\?\$skip=5&\$top=5$/);
    expect(page._links.next?.href).toMatch(/\?\$skip=15&\$top=5$/);
    const clamped = (await (
      await sim.api(`${ownersPath(SEEDED_ITWINS.railYard)}?$top=1000`)
    ).json()) as OwnersPage;
    expect(clamped.members).toHaveLength(20);
  });

  it("answers a bad $top with 422 and an unknown iTwin with 404", async () => {
    sim = await startTestSimulator();
    const bad = await sim.api(`${ownersPath(SEEDED_ITWINS.railYard)}?$top=abc`);
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({
      error: { code: "InvalidiTwinsMemberRequest", details: [{ code: "InvalidValue", target: "$top" }] },
    });
    expect((await sim.api(ownersPath("00000000-0000-4000-8000-000000000000"))).status).toBe(404);
  });
});

describe("DELETE owner", () => {
  it("removes a member with 204, then answers 404 TeamMemberNotFound", async () => {
    sim = await startTestSimulator();
    const carol = sim.state
      .owners(SEEDED_ITWINS.bridgeRetrofit)
      .find((m) => m.email === "carol@corp.example");
    const path = ownersPath(SEEDED_ITWINS.bridgeRetrofit, `/${carol?.id}`);
    const removed = await sim.api(path, { method: "DELETE" });
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe("");
    expect(removed.headers.get("x-rate-limit-remaining")).not.toBeNull();
    expect(sim.state.owners(SEEDED_ITWINS.bridgeRetrofit).map((m) => m.email)).toEqual([SERVICE_EMAIL, null]);
    const again = await sim.api(path, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({
      error: { code: "TeamMemberNotFound", message: "Requested team member is not available." },
    });
  });

  it("removes a member whose email is null", async () => {
    sim = await startTestSimulator();
    const missing = sim.state.owners(SEEDED_ITWINS.bridgeRetrofit).find((m) => m.email === null);
    const response = await sim.api(ownersPath(SEEDED_ITWINS.bridgeRetrofit, `/${missing?.id}`), {
      method: "DELETE",
    });
    expect(response.status).toBe(204);
  });

  it("answers an unknown iTwin with 404 ItwinNotFound", async () => {
    sim = await startTestSimulator();
    const response = await sim.api(ownersPath("00000000-0000-4000-8000-000000000000", "/whoever"), {
      method: "DELETE",
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("ItwinNotFound");
  });

  it("refuses unsupported methods and unknown paths", async () => {
    sim = await startTestSimulator();
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), { method: "DELETE" })).status).toBe(405);
    expect((await sim.api("/accesscontrol/itwins")).status).toBe(404);
  });
});
