import { afterEach, describe, expect, it } from "vitest";
import type { Member } from "../../../dev/simulator/directory.ts";
import { SEEDED_ITWINS } from "../../../dev/simulator/seed.ts";
import { ownersPath, SERVICE_EMAIL, startTestSimulator, type TestSimulator } from "./helpers.ts";

let sim: TestSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("admin endpoints", () => {
  it("lists the seeded iTwins", async () => {
    sim = await startTestSimulator();
    const response = await sim.admin("/itwins");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      itwins: [
        { id: SEEDED_ITWINS.bridgeRetrofit, name: "Bridge Retrofit", owners: 3, invitations: 0 },
        { id: SEEDED_ITWINS.railYard, name: "Rail Yard", owners: 251, invitations: 0 },
        { id: SEEDED_ITWINS.waterPlant, name: "Water Plant", owners: 1, invitations: 0 },
      ],
    });
  });

  it("starts empty with seed: false", async () => {
    sim = await startTestSimulator({ seed: false });
    expect(await (await sim.admin("/itwins")).json()).toEqual({ itwins: [] });
  });

  it("adds an iTwin that the API then serves", async () => {
    sim = await startTestSimulator({ seed: false });
    const created = await sim.admin(
      "/itwins",
      json({
        name: "Tunnel",
        owners: [{ email: SERVICE_EMAIL }, { email: null }, { email: "bo@corp.example" }],
      }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const page = (await (await sim.api(ownersPath(id))).json()) as { members: Member[] };
    expect(page.members.map((member) => member.email)).toEqual([SERVICE_EMAIL, null, "bo@corp.example"]);
    const duplicate = await sim.admin("/itwins", json({ id }));
    expect(duplicate.status).toBe(409);
  });

  it("refuses an invalid iTwin with 400 and details", async () => {
    sim = await startTestSimulator();
    const response = await sim.admin("/itwins", json({ id: "not-a-uuid", owners: [{ mail: "x" }] }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("InvalidItwin");
    expect(body.error.details.map((detail) => detail.path)).toEqual(expect.arrayContaining(["id"]));
    const broken = await sim.admin("/itwins", { method: "POST", body: "{" });
    expect(broken.status).toBe(400);
  });

  it("shows all owners and invitations of an iTwin, unpaged", async () => {
    sim = await startTestSimulator();
    await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), {
      method: "POST",
      body: JSON.stringify({ email: "ext@partner.test" }),
    });
    const rail = (await (await sim.admin(`/itwins/${SEEDED_ITWINS.railYard}/owners`)).json()) as {
      owners: Member[];
    };
    expect(rail.owners).toHaveLength(251);
    const water = (await (await sim.admin(`/itwins/${SEEDED_ITWINS.waterPlant}/owners`)).json()) as {
      name: string;
      invitations: { id: string; email: string }[];
    };
    expect(water.name).toBe("Water Plant");
    expect(water.invitations.map((invitation) => invitation.email)).toEqual(["ext@partner.test"]);
    expect((await sim.admin("/itwins/00000000-0000-4000-8000-000000000000/owners")).status).toBe(404);

    const accepted = await sim.admin(
      `/itwins/${SEEDED_ITWINS.waterPlant}/invitations/${water.invitations[0]?.id}/accept`,
      { method: "POST" },
    );
    expect(accepted.status).toBe(200);
    expect(sim.state.owners(SEEDED_ITWINS.waterPlant).map((member) => member.email)).toContain(
      "ext@partner.test",
    );
  });

  it("validates fault configs (400) and applies valid ones until deleted", async () => {
    sim = await startTestSimulator();
    const put = (body: string) =>
      sim?.admin("/faults", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body,
      }) as Promise<Response>;
    const invalid = await put(JSON.stringify({ errorRate: 5, rules: [{ respond: { status: 42 } }] }));
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("InvalidFaultConfig");
    expect(body.error.details.map((detail) => detail.path)).toEqual(
      expect.arrayContaining(["errorRate", "rules.0.respond.status"]),
    );
    expect((await put("not json")).status).toBe(400);

    const valid = await put(
      JSON.stringify({ rules: [{ method: "GET", times: 2, respond: { status: 503 } }] }),
    );
    expect(valid.status).toBe(200);
    expect(await valid.json()).toMatchObject({ rules: [{ method: "GET", times: 2, remaining: 2 }] });
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant))).status).toBe(503);
    expect(await (await sim.admin("/faults")).json()).toMatchObject({ rules: [{ remaining: 1 }] });
    expect((await sim.admin("/faults", { method: "DELETE" })).status).toBe(204);
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant))).status).toBe(200);
  });

  it("reports and resets stats, without counting admin requests", async () => {
    sim = await startTestSimulator();
    await sim.api(ownersPath(SEEDED_ITWINS.waterPlant));
    await sim.admin("/itwins");
    const stats = (await (await sim.admin("/stats")).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({
      requests: 2, // token + GET owners
      byStatus: { 200: 2 },
      byRoute: {
        "POST /connect/token": { requests: 1 },
        "GET /accesscontrol/itwins/{id}/members/owners": { requests: 1, byStatus: { 200: 1 } },
      },
      rateLimited: 0,
      inFlight: 0,
    });
    expect((await sim.admin("/stats/reset", { method: "POST" })).status).toBe(204);
    expect(sim.state.stats()).toMatchObject({ requests: 0, byStatus: {} });
  });

  it("revokes tokens", async () => {
    sim = await startTestSimulator();
    const token = await sim.token();
    const response = await sim.admin("/tokens/revoke", { method: "POST" });
    expect(await response.json()).toEqual({ revoked: 1 });
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), { token })).status).toBe(401);
  });

  it("resets to the seeded state", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ rules: [{ respond: { status: 500 } }] });
    sim.state.addItwin({ name: "extra" });
    const carol = sim.state.owners(SEEDED_ITWINS.bridgeRetrofit)[1];
    sim.state.directory.removeOwner(SEEDED_ITWINS.bridgeRetrofit, carol?.id ?? "");
    expect((await sim.admin("/reset", { method: "POST" })).status).toBe(204);
    expect(sim.state.itwins()).toHaveLength(3);
    expect(sim.state.owners(SEEDED_ITWINS.bridgeRetrofit)[1]).toEqual(carol);
    expect(sim.state.faults.snapshot().rules).toEqual([]);
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant))).status).toBe(200);
  });

  it("answers unknown admin paths with 404 and lists endpoints at /__admin", async () => {
    sim = await startTestSimulator();
    expect((await sim.admin("/nope")).status).toBe(404);
    const index = (await (await sim.admin("")).json()) as { endpoints: unknown[] };
    expect(index.endpoints.length).toBeGreaterThan(5);
  });
});
