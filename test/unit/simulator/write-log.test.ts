import { afterEach, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../../dev/simulator/seed.ts";
import { SimulatorState } from "../../../dev/simulator/state.ts";
import type { AppliedWrite } from "../../../dev/simulator/write-log.ts";
import { ownersPath, startTestSimulator, type TestSimulator } from "./helpers.ts";

let sim: TestSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const WATER = SEEDED_ITWINS.waterPlant;
const add = (s: TestSimulator, email: string) =>
  s.api(ownersPath(WATER), { method: "POST", body: JSON.stringify({ email }) });
const remove = (s: TestSimulator, memberId: string) =>
  s.api(ownersPath(WATER, `/${memberId}`), { method: "DELETE" });
const memberId = (s: TestSimulator, email: string) =>
  s.state.owners(WATER).find((member) => member.email === email)?.id ?? "";

describe("applied-write log", () => {
  it("records each write the API applied, and nothing for answers that changed nothing", async () => {
    sim = await startTestSimulator();
    expect((await add(sim, "alice@corp.example")).status).toBe(201);
    expect((await add(sim, "alice@corp.example")).status).toBe(409);
    expect((await add(sim, "ext@partner.test")).status).toBe(201);
    expect((await add(sim, "ext@partner.test")).status).toBe(201); // the pending invitation again
    const alice = memberId(sim, "alice@corp.example");
    expect((await remove(sim, alice)).status).toBe(204);
    expect((await remove(sim, alice)).status).toBe(404);

    const writes = sim.state.appliedWrites();
    expect(writes.map(({ seq, itwinId, email, kind }) => ({ seq, itwinId, email, kind }))).toEqual([
      { seq: 1, itwinId: WATER, email: "alice@corp.example", kind: "member-added" },
      { seq: 2, itwinId: WATER, email: "ext@partner.test", kind: "invitation-created" },
      { seq: 3, itwinId: WATER, email: "alice@corp.example", kind: "member-removed" },
    ]);
    expect(writes[0]?.memberId).toBe(alice);
    expect(writes[2]?.memberId).toBe(alice);
    expect(writes[1]?.invitationId).toBe(sim.state.invitations(WATER)[0]?.id);
    expect(sim.state.appliedWrites(2).map((write) => write.seq)).toEqual([3]);
  });

  it("is served by GET /__admin/writes?since=n, refuses a bad since, and is cleared by reset", async () => {
    sim = await startTestSimulator();
    await add(sim, "alice@corp.example");
    await add(sim, "bob@corp.example");
    const page = (await (await sim.admin("/writes?since=1")).json()) as { writes: AppliedWrite[] };
    expect(page.writes.map((write) => [write.seq, write.email])).toEqual([[2, "bob@corp.example"]]);
    expect((await sim.admin("/writes?since=-1")).status).toBe(400);
    expect((await sim.admin("/reset", { method: "POST" })).status).toBe(204);
    expect(((await (await sim.admin("/writes")).json()) as { writes: AppliedWrite[] }).writes).toEqual([]);
  });
});

describe("loseReply fault", () => {
  it("applies a POST, then cuts the connection instead of answering", async () => {
    sim = await startTestSimulator();
    sim.state.setFaults({ rules: [{ method: "POST", loseReply: true }] });
    await expect(add(sim, "alice@corp.example")).rejects.toThrow();
    expect(memberId(sim, "alice@corp.example")).not.toBe("");
    expect(sim.state.appliedWrites().map((write) => write.kind)).toEqual(["member-added"]);
    // The client's retry finds the write already made.
    expect((await add(sim, "alice@corp.example")).status).toBe(409);
    expect(sim.state.stats()).toMatchObject({ faultsInjected: 1, repliesLost: 1, connectionResets: 0 });
  });

  it("applies a DELETE written as respond: { loseReply: true }, and the retry finds no member", async () => {
    sim = await startTestSimulator();
    await add(sim, "alice@corp.example");
    const alice = memberId(sim, "alice@corp.example");
    sim.state.setFaults({ rules: [{ method: "DELETE", respond: { loseReply: true } }] });
    await expect(remove(sim, alice)).rejects.toThrow();
    expect(memberId(sim, "alice@corp.example")).toBe("");
    expect((await remove(sim, alice)).status).toBe(404);
    expect(sim.state.appliedWrites().map((write) => write.kind)).toEqual(["member-added", "member-removed"]);
  });

  it("is refused beside another effect on the same rule", () => {
    expect(() => new SimulatorState().setFaults({ rules: [{ loseReply: true, reset: true }] })).toThrow(
      /exactly one of respond, reset, stallMs, loseReply/,
    );
  });
});
