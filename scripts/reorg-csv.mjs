#!/usr/bin/env node
/**
 * Writes examples/reorg.csv: 1 000 owner changes for the iTwins `npm start`'s simulator seeds, for
 * `npx owner-changes plan|submit --file examples/reorg.csv`. Deterministic (no randomness), so the file
 * only changes when this script does.
 *
 *   node scripts/reorg-csv.mjs
 *
 * Mostly adds — people of corp.example become owners (outcome added), partners are invited (invited) —
 * plus 7 removals: 6 of Rail Yard's seeded owner245…owner250@corp.example (removed) and one of someone
 * who owns nothing there (not-owner). That stays under any mass-removal threshold of 6 or more per iTwin
 * (POLICY_MASS_REMOVAL_THRESHOLD; npm start leaves it off), so every line ends succeeded.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// The ids dev/simulator/seed.ts gives the demo iTwins (scripts/ does not import project code).
const BRIDGE = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const RAIL = "5e3b1a7e-8c1d-4f3a-9b2e-000000000002";
const WATER = "5e3b1a7e-8c1d-4f3a-9b2e-000000000003";

const FIRST = [
  "ada",
  "ben",
  "cai",
  "dana",
  "eli",
  "fay",
  "gus",
  "hana",
  "ivo",
  "jun",
  "kai",
  "lena",
  "milo",
  "nia",
  "omar",
  "pia",
  "quin",
  "rosa",
  "sami",
  "tove",
];
const LAST = [
  "alder",
  "birch",
  "cedar",
  "dogwood",
  "elm",
  "fir",
  "ginkgo",
  "hazel",
  "ironwood",
  "juniper",
  "kauri",
  "larch",
  "maple",
  "nutmeg",
  "oak",
  "pine",
  "quince",
  "rowan",
  "spruce",
  "teak",
  "umbrella",
  "vine",
  "willow",
  "yew",
  "zelkova",
];
const TEAMS = [
  [BRIDGE, "joins the Bridge Retrofit design team"],
  [RAIL, 'moves to "Rail Yard" operations, Q4 reorg'],
  [WATER, "joins the Water Plant commissioning team"],
];

const quote = (cell) => (/[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
const rows = [];
let person = 0;
while (rows.length < 993) {
  const first = FIRST[person % FIRST.length];
  const last = LAST[Math.floor(person / FIRST.length) % LAST.length];
  const [itwin, reason] = TEAMS[person % TEAMS.length];
  // Every tenth person is a partner: outside the organisation, so the API invites them.
  const domain = person % 10 === 9 ? "partner.example" : "corp.example";
  rows.push([itwin, `${first}.${last}${Math.floor(person / 500) || ""}@${domain}`, "add", reason]);
  person += 1;
}
for (let n = 245; n <= 250; n++)
  rows.push([RAIL, `owner${n}@corp.example`, "remove", "left Rail Yard in the reorg"]);
rows.push([WATER, "former.contractor@partner.example", "remove", "contract ended"]);

const lines = [
  "itwinId,email,action,reason,requestedBy",
  ...rows.map((row) => [...row, "hr-reorg@corp.example"].map(quote).join(",")),
];
writeFileSync(path.join(root, "examples/reorg.csv"), `${lines.join("\n")}\n`);
console.log(`examples/reorg.csv: ${rows.length} changes`);
