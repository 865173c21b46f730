/**
 * The chaos run's workload, generated from a seed: iTwins with their starting owners, the owner-change
 * requests (what each asks, how it is delivered, and which deliveries are repeated), and garbage queue
 * messages. Pure: the same options give the same workload, byte for byte.
 *
 * Every (iTwin, email) is the subject of either one request without `occurredAt` or an ordered group of
 * two or three requests that all carry one: two unordered requests for one person have no defined
 * order (the contract says so), and the checks need every subject's final state to be determined.
 */
import { mulberry32 } from "../../dev/simulator/prng.ts";
import { DEV_SERVICE_OWNER } from "../../dev/stack/credentials.ts";
import { shuffle } from "../lib/util.ts";

export const ORG_DOMAIN = "corp.example";
export const EXTERNAL_DOMAIN = "partner.example";
/** One human owner per iTwin that no request removes (and POLICY_PROTECTED_OWNERS protects). */
export const PROTECTED_OWNER = `keeper@${ORG_DOMAIN}`;
/** The service client is an owner of every iTwin it manages (as on the real platform). */
export const SERVICE_OWNER = DEV_SERVICE_OWNER;
/** The request `source`: it scopes the senders' ids, so every run's ids are its own. */
export const SOURCE = "chaos";

export type Action = "add" | "remove";

/**
 * What the request is about to do, from the starting state:
 * - `add-new`: add an organisation user who is not an owner;
 * - `add-owner`: add someone who already is one (a repeat of an earlier decision);
 * - `remove-owner`, `remove-non-owner`: remove someone who is, or is not, an owner;
 * - `invite`: add a user outside the organisation (the API invites them);
 * - `remove-protected`: remove the protected owner (policy refuses);
 * - `ordered`: one of an ordered group for one subject (different actions, distinct `occurredAt`);
 * - `mass-remove`: one of more removals from one iTwin than the mass-removal threshold allows.
 */
export type Category =
  | "add-new"
  | "add-owner"
  | "remove-owner"
  | "remove-non-owner"
  | "invite"
  | "remove-protected"
  | "ordered"
  | "mass-remove";

/**
 * How the request reaches the app:
 * - `http-batch`: an item of a `{ changes: [...] }` POST, with its own `id`;
 * - `http-key`: a single POST keyed by an `Idempotency-Key` header;
 * - `queue-id`: a message on `owner-change-requests` with its own `id`;
 * - `queue-message-id`: a message without `id` (the app keys it by the queue message id).
 */
export type Via = "http-batch" | "http-key" | "queue-id" | "queue-message-id";

export interface RequestPlan {
  /** Index in `requests`; also the request's `id` (`c-<index>`) or key where it has one. */
  index: number;
  senderId: string;
  itwinId: string;
  email: string;
  action: Action;
  occurredAt?: string;
  category: Category;
  via: Via;
  /** Ordered group (requests for one subject), by index of its first member. */
  group?: number;
  /** Deliver twice: the same Idempotency-Key POST, or the same queue message text. */
  deliverTwice: boolean;
  /** Once accepted, put a copy of its job on the jobs queue (a duplicate delivery of the job). */
  duplicateJob: boolean;
}

export interface ItwinPlan {
  id: string;
  kind: "normal" | "mass";
  /** Owner emails at the start: the protected owner, the service client, then `members`. */
  owners: string[];
  /** The owners requests may add again or remove. */
  members: string[];
}

export interface GarbagePlan {
  /** The exact message text. */
  text: string;
  what: string;
}

export interface Workload {
  seed: number;
  itwins: ItwinPlan[];
  /** In submission order is `order`; `requests[i].index === i`. */
  requests: RequestPlan[];
  /** Indexes of `requests` in the order they are submitted. */
  order: number[];
  garbage: GarbagePlan[];
  /** POLICY_MASS_REMOVAL_THRESHOLD for the run. */
  massThreshold: number;
}

export interface WorkloadOptions {
  seed: number;
  changes: number;
}

/** Smallest workload that still has every category, a mass-removal iTwin and garbage. */
export const MIN_CHANGES = 60;
const MASS_THRESHOLD = 12;
/** Removals per mass-removal iTwin: four more than the threshold, so four are held. */
const MASS_REMOVALS = MASS_THRESHOLD + 4;
/** Starting members of a normal iTwin besides the protected owner. */
const SEEDED_MEMBERS = 16;
const REQUESTS_PER_ITWIN = 20;

/** Category weights for normal iTwins (percent of picks; `ordered` picks take 2–3 requests). */
const WEIGHTS: [Category, number][] = [
  ["add-new", 24],
  ["add-owner", 8],
  ["remove-owner", 18],
  ["remove-non-owner", 7],
  ["invite", 8],
  ["remove-protected", 2],
  ["ordered", 33],
];

export function generateWorkload(options: WorkloadOptions): Workload {
  if (!Number.isInteger(options.changes) || options.changes < MIN_CHANGES) {
    throw new RangeError(`changes must be a whole number of at least ${MIN_CHANGES}`);
  }
  const random = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const chance = (p: number) => random() < p;

  const massCount = options.changes >= 1000 ? 2 : 1;
  const normalRequests = options.changes - massCount * MASS_REMOVALS;
  const normalCount = Math.max(3, Math.round(normalRequests / REQUESTS_PER_ITWIN));

  const itwins: ItwinPlan[] = [];
  const members = (n: number) => Array.from({ length: n }, (_, k) => `u${k + 1}@${ORG_DOMAIN}`);
  const plan = (kind: ItwinPlan["kind"], count: number): ItwinPlan => ({
    id: uuidFrom(random),
    kind,
    owners: [PROTECTED_OWNER, SERVICE_OWNER, ...members(count)],
    members: members(count),
  });
  for (let i = 0; i < normalCount; i++) itwins.push(plan("normal", SEEDED_MEMBERS));
  for (let i = 0; i < massCount; i++) itwins.push(plan("mass", MASS_REMOVALS));

  const requests: RequestPlan[] = [];
  const push = (plan: Omit<RequestPlan, "index" | "senderId" | "via" | "deliverTwice" | "duplicateJob">) => {
    const index = requests.length;
    requests.push({
      ...plan,
      index,
      senderId: `c-${index}`,
      via: "http-batch",
      deliverTwice: false,
      duplicateJob: false,
    });
    return index;
  };

  for (const itwin of itwins.filter((candidate) => candidate.kind === "mass")) {
    for (const email of itwin.members) {
      push({ itwinId: itwin.id, email, action: "remove", category: "mass-remove" });
    }
  }

  // Per normal iTwin: members not yet used as a subject, removals so far, fresh-address counter.
  const normal = itwins
    .filter((candidate) => candidate.kind === "normal")
    .map((itwin) => ({
      itwin,
      unused: shuffle([...itwin.members], random),
      removals: 0,
      fresh: 0,
      protectedUsed: false,
    }));
  // Occurred-at times are far in the past and distinct per group: only their order matters.
  let clock = Date.UTC(2026, 0, 1);
  while (requests.length < options.changes) {
    const slot = pick(normal);
    const left = options.changes - requests.length;
    const freshEmail = (domain: string) => {
      slot.fresh += 1;
      return `${domain === ORG_DOMAIN ? "n" : "x"}${slot.fresh}@${domain}`;
    };
    // A normal iTwin stays at or under the threshold, so only the mass-removal iTwins see holds.
    const canRemove = (n: number) => slot.removals + n <= MASS_THRESHOLD;
    let category = weighted(WEIGHTS, random);
    if ((category === "add-owner" || category === "remove-owner") && slot.unused.length === 0)
      category = "add-new";
    if ((category === "remove-owner" || category === "remove-non-owner") && !canRemove(1))
      category = "add-new";
    if (category === "remove-protected" && slot.protectedUsed) category = "add-new";
    if (category === "ordered" && (left < 2 || !canRemove(1))) category = "add-new";
    const base = { itwinId: slot.itwin.id };
    switch (category) {
      case "add-new":
        push({ ...base, email: freshEmail(ORG_DOMAIN), action: "add", category });
        break;
      case "add-owner":
        push({ ...base, email: slot.unused.pop() as string, action: "add", category });
        break;
      case "remove-owner":
        slot.removals += 1;
        push({ ...base, email: slot.unused.pop() as string, action: "remove", category });
        break;
      case "remove-non-owner":
        slot.removals += 1;
        push({ ...base, email: freshEmail(ORG_DOMAIN), action: "remove", category });
        break;
      case "invite":
        push({ ...base, email: freshEmail(EXTERNAL_DOMAIN), action: "add", category });
        break;
      case "remove-protected":
        slot.protectedUsed = true;
        push({ ...base, email: PROTECTED_OWNER, action: "remove", category });
        break;
      case "ordered": {
        const size = Math.min(left, chance(0.3) ? 3 : 2);
        // Alternating actions from a random start: every neighbour pair conflicts.
        const first: Action = chance(0.5) ? "add" : "remove";
        const actions = Array.from({ length: size }, (_, k) => (k % 2 === 0 ? first : other(first)));
        const removes = actions.filter((action) => action === "remove").length;
        if (!canRemove(removes)) {
          push({ ...base, email: freshEmail(ORG_DOMAIN), action: "add", category: "add-new" });
          break;
        }
        slot.removals += removes;
        const email =
          slot.unused.length > 0 && chance(0.5) ? (slot.unused.pop() as string) : freshEmail(ORG_DOMAIN);
        clock += 3_600_000;
        const minutes = shuffle([5, 17, 29, 41, 53], random)
          .slice(0, size)
          .sort((a, b) => a - b);
        const group = requests.length;
        actions.forEach((action, k) => {
          push({
            ...base,
            email,
            action,
            occurredAt: new Date(clock + (minutes[k] as number) * 60_000).toISOString(),
            category,
            group,
          });
        });
        break;
      }
      case "mass-remove":
        throw new Error("mass removals are planned above");
    }
  }

  // Delivery: ordered groups never use the queue message id (it would make their retries new requests
  // with no order to the sender), and a request keyed only by its message id cannot be sent twice.
  for (const request of requests) {
    const roll = random();
    const via: Via =
      roll < 0.45 ? "http-batch" : roll < 0.6 ? "http-key" : roll < 0.85 ? "queue-id" : "queue-message-id";
    request.via = via === "queue-message-id" && request.group !== undefined ? "queue-id" : via;
    request.deliverTwice =
      (request.via === "http-key" && chance(0.4)) || (request.via === "queue-id" && chance(0.3));
    request.duplicateJob = request.via.startsWith("http") && chance(0.12);
  }

  const order = shuffle(
    requests.map((request) => request.index),
    random,
  );
  // Half the ordered groups arrive newest first: out of order, so the app must sort them out.
  const positions = new Map(order.map((index, position) => [index, position]));
  const groups = new Map<number, number[]>();
  for (const request of requests) {
    if (request.group !== undefined)
      groups.set(request.group, [...(groups.get(request.group) ?? []), request.index]);
  }
  for (const members of groups.values()) {
    const slots = members.map((index) => positions.get(index) as number).sort((a, b) => a - b);
    const byTime = chance(0.5) ? [...members].reverse() : [...members];
    byTime.forEach((index, k) => {
      order[slots[k] as number] = index;
    });
  }

  return {
    seed: options.seed,
    itwins,
    requests,
    order,
    garbage: garbageMessages(
      Math.max(3, Math.round(options.changes / 200)),
      itwins[0]?.id ?? "",
      options.seed,
    ),
    massThreshold: MASS_THRESHOLD,
  };
}

/** Messages that can never be valid, each with a nonce so its poison envelope can be found. */
function garbageMessages(count: number, itwinId: string, seed: number): GarbagePlan[] {
  const kinds: ((nonce: string) => GarbagePlan)[] = [
    (nonce) => ({ text: `this is not JSON ${nonce}`, what: "plain text" }),
    (nonce) => ({
      text: JSON.stringify({ nonce, itwinId: "not-a-uuid", email: `a@${ORG_DOMAIN}`, action: "add" }),
      what: "bad iTwin id",
    }),
    (nonce) => ({
      text: JSON.stringify({ nonce, itwinId, email: "not-an-email", action: "add" }),
      what: "bad email",
    }),
    (nonce) => ({
      text: JSON.stringify({ nonce, itwinId, email: `a@${ORG_DOMAIN}`, action: "promote" }),
      what: "unknown action",
    }),
    (nonce) => ({ text: JSON.stringify([nonce, 1, 2]), what: "a JSON array" }),
    (nonce) => ({ text: `{"nonce":"${nonce}","itwinId":`, what: "truncated JSON" }),
  ];
  return Array.from({ length: count }, (_, k) =>
    (kinds[k % kinds.length] as (nonce: string) => GarbagePlan)(`g-${seed}-${k}`),
  );
}

function other(action: Action): Action {
  return action === "add" ? "remove" : "add";
}

function weighted<T>(weights: readonly [T, number][], random: () => number): T {
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of weights) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return (weights.at(-1) as [T, number])[0];
}

/** A version-4-shaped UUID from the seeded PRNG (iTwin ids must repeat with the seed). */
function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
