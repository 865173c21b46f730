import { Buffer } from "node:buffer";
import fc from "fast-check";
import standardWebhooks from "standardwebhooks";
import { expect } from "vitest";
import { MAX_HTTP_BODY_BYTES } from "../../src/changes/intake.ts";
import { MAX_BATCH } from "../../src/changes/model.ts";

/**
 * fast-check arbitraries for the two intakes, each case carrying what the answer must be. The expected
 * outcome comes from how the case was built (one thing broken at a time: this field, that header), never
 * from running the app's own parsing, so the oracle cannot share a bug with the code under test. `chaos`
 * cases mix everything and are held only to the general rules (2xx, or 4xx problem+json and no effect).
 *
 * Ids, keys and webhook ids contain TAG, which the harness replaces with a fresh value of the same
 * length before each execution (`freshen`): idempotency then joins only the requests a case means to
 * repeat, also when fast-check shrinks and re-runs a case against the same storage.
 */

const { Webhook } = standardWebhooks;

export const LIMIT = MAX_HTTP_BODY_BYTES;
export const WEBHOOK_SECRETS = [
  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  "whsec_b2xkLXNlY3JldC1zdGlsbC12YWxpZA==",
];
const FOREIGN_SECRET = "whsec_c29tZW9uZS1lbHNlcy1zZWNyZXQtMTIzNA==";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What the intake must answer. `paths`: exactly the fields a validation problem must name. */
export type HttpExpectation =
  | { status: 202; items?: number }
  | { status: 400 | 401 | 413 | 415; paths?: string[]; messageIncludes?: string }
  | { status: "any" };

export interface HttpCase {
  kind: string;
  headers: Record<string, string>;
  body: Uint8Array;
  expect: HttpExpectation;
}

/** A placeholder no generator produces by chance; same length as the tags that replace it. */
const TAG = "TAGTAGTA-TAGT-4TAG-8TAG-TAGTAGTAGTAG";
let tags = 0;

/** A tag not used before in this process: UUID-shaped, so it reads like an id in a failure report. */
export function freshTag(): string {
  tags += 1;
  return `00000000-0000-4000-8000-${tags.toString(16).padStart(12, "0")}`;
}

/** `text` or a copy of `bytes` with TAG replaced by `tag` (same length, so sizes stay exact). */
export function freshen(text: string, tag: string): string;
export function freshen(bytes: Uint8Array, tag: string): Uint8Array;
export function freshen(value: string | Uint8Array, tag: string): string | Uint8Array {
  if (typeof value === "string") return value.replaceAll(TAG, tag);
  const bytes = Buffer.from(value);
  for (let at = bytes.indexOf(TAG); at >= 0; at = bytes.indexOf(TAG, at + TAG.length))
    bytes.write(tag, at, "latin1");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A case's headers and body with TAG replaced by `tag`. */
export function freshCase(c: Pick<HttpCase, "headers" | "body">, tag: string) {
  const headers = Object.fromEntries(
    Object.entries(c.headers).map(([name, value]) => [name, freshen(value, tag)]),
  );
  return { headers, body: freshen(c.body, tag) };
}

/** Short descriptions in fast-check's counterexamples instead of every byte of a megabyte body. */
function printable<T extends object>(value: T, print: (value: T) => string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => print(value) });
  return value;
}
const preview = (bytes: Uint8Array) => {
  const text = Buffer.from(bytes.subarray(0, 300)).toString("utf8");
  return `${JSON.stringify(text)}${bytes.byteLength > 300 ? `… (${bytes.byteLength} bytes)` : ""}`;
};
const printCase = (c: HttpCase) =>
  printable(
    c,
    (v) => `${v.kind} ${JSON.stringify(v.headers)} ${preview(v.body)} expect ${JSON.stringify(v.expect)}`,
  );
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));

// --- one valid change, field by field -----------------------------------------------------------

/** Text in odd but harmless spellings: the schema trims and lower-cases these fields. */
const spelled = (value: string) =>
  fc.constantFrom(value, value.toUpperCase(), ` ${value}\t`, value[0]?.toUpperCase() + value.slice(1));

const itwinIdArb = fc.uuid().chain(spelled);
const actionArb = fc.constantFrom("add", "remove").chain(spelled);

const localPartArb = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9_+-]{1,12}$/),
    fc.option(fc.stringMatching(/^[a-z0-9_'+-]{0,6}[a-z0-9_+-]$/), { nil: undefined }),
  )
  .map(([head, tail]) => (tail === undefined ? head : `${head}.${tail}`));

/** Internationalised labels and TLDs, in scripts whose punycode differs from their text. */
const IDN_LABELS = ["bücher", "münchen", "пример", "例え", "ελληνικά", "日本語", "café", "ümlaut-straße"];
const IDN_TLDS = ["example", "com", "de", "рф", "中国"];
const idnDomainArb = fc
  .tuple(
    fc.constantFrom(...IDN_LABELS),
    fc.option(fc.stringMatching(/^[a-z0-9]{1,8}$/), { nil: undefined }),
    fc.constantFrom(...IDN_TLDS),
  )
  .map(([label, sub, tld]) => [sub, label, tld].filter((part) => part !== undefined).join("."));

export const emailArb = fc
  .tuple(localPartArb, fc.oneof(fc.domain(), idnDomainArb))
  .map(([local, domain]) => `${local}@${domain}`)
  .chain(spelled);

/** Any text up to `max` UTF-16 units (what zod counts): graphemes of every script, and ASCII controls. */
const freeText = (max: number) =>
  fc
    .oneof(
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.string({ unit: "binary-ascii", maxLength: max }),
    )
    .map((text) => text.slice(0, max));
const nonBlank = (max: number) =>
  fc
    .tuple(fc.stringMatching(/^[a-z]$/), freeText(max - 1))
    .map(([first, rest]) => (first + rest).slice(0, max));

/** ISO 8601 date-times with a zone, as `Z` or as a ±hh:mm offset. */
const occurredAtArb = fc
  .tuple(
    fc.date({
      min: new Date("2000-01-01T00:00:00Z"),
      max: new Date("2099-12-31T00:00:00Z"),
      noInvalidDate: true,
    }),
    fc.integer({ min: -12 * 60, max: 14 * 60 }).map((minutes) => minutes - (minutes % 15)),
    fc.boolean(),
  )
  .map(([date, offset, zulu]) => {
    if (zulu) return date.toISOString();
    const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19);
    const abs = Math.abs(offset);
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${local}${offset < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  });

const OPTIONAL_FIELDS = ["id", "source", "reason", "requestedBy", "occurredAt", "dryRun"] as const;
const REQUIRED_FIELDS = ["itwinId", "email", "action"] as const;
const KNOWN_FIELDS: readonly string[] = [...REQUIRED_FIELDS, ...OPTIONAL_FIELDS];

/** A valid change; its `id` (when present) is unique through TAG and `index`. */
export function validChangeArb(index: number): fc.Arbitrary<Record<string, Json>> {
  return fc.record(
    {
      itwinId: itwinIdArb,
      email: emailArb,
      action: actionArb,
      id: fc.constantFrom(`${TAG}-${index}`, ` HR-${index}-${TAG} `),
      source: nonBlank(100),
      reason: fc.oneof(freeText(500), fc.constant("x".repeat(500))),
      requestedBy: nonBlank(320),
      occurredAt: occurredAtArb,
      dryRun: fc.boolean(),
    },
    { requiredKeys: ["itwinId", "email", "action"] },
  );
}

// --- one field broken ---------------------------------------------------------------------------

const WRONG_TYPES: Json[] = [42, null, true, [], {}, ["add"]];
const BAD_VALUES: Record<string, Json[]> = {
  itwinId: ["", "nope", "5e3b1a7e8c1d4f3a9b2e000000000001", "5e3b1a7e-8c1d-4f3a-9b2e-00000000000g"],
  email: [
    "",
    "alice",
    "alice@",
    "@corp.example",
    "a@b",
    "a b@corp.example",
    "a..b@corp.example",
    "a@corp.example/x.org",
    "a@-corp.example",
    "a@1.2.3.4",
    "a@b\u200dc.example",
    `${"x".repeat(320)}@corp.example`,
  ],
  action: ["", "promote", "add remove", "delete"],
  id: ["", "   ", "x".repeat(201)],
  source: ["", "  ", "s".repeat(101)],
  reason: ["r".repeat(501)],
  requestedBy: ["", "q".repeat(321)],
  occurredAt: ["yesterday", "2026-11-20T09:15:00", "2026-13-01T00:00:00Z", "2026-11-20"],
  dryRun: ["true", 1, "yes"],
};
/** Internationalised mailbox names: refused, and the message must say why. */
const NON_ASCII_LOCAL = ["bøb@corp.example", "пользователь@пример.рф", "josé@bücher.example", "用户@例え.jp"];
/** Unknown fields, including near-misses of known ones and keys that are special in JavaScript. */
const UNKNOWN_KEYS = [
  "colour",
  "Email",
  "ITWINID",
  "itwin_id",
  "__proto__",
  "constructor",
  "toString",
  "emails",
];

interface Breakage {
  path: string;
  apply(change: Record<string, Json>): Record<string, Json>;
  messageIncludes?: string;
}

const breakageArb: fc.Arbitrary<Breakage> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...KNOWN_FIELDS), fc.constantFrom(...WRONG_TYPES))
    .filter(([field, value]) => !(field === "dryRun" && typeof value === "boolean"))
    .map(([field, value]): Breakage => ({ path: field, apply: (c) => ({ ...c, [field]: value }) })),
  fc
    .constantFrom(
      ...Object.entries(BAD_VALUES).flatMap(([field, values]) => values.map((v) => [field, v] as const)),
    )
    .map(([field, value]): Breakage => ({ path: field, apply: (c) => ({ ...c, [field]: value }) })),
  fc.constantFrom(...NON_ASCII_LOCAL).map((email) => ({
    path: "email",
    messageIncludes: "local part must be ASCII",
    apply: (c: Record<string, Json>) => ({ ...c, email }),
  })),
  fc.constantFrom(...REQUIRED_FIELDS).map((field) => ({
    path: field,
    messageIncludes: "is required",
    apply: (c: Record<string, Json>) => {
      const { [field]: _dropped, ...rest } = c;
      return rest;
    },
  })),
  fc.tuple(fc.constantFrom(...UNKNOWN_KEYS), fc.jsonValue({ maxDepth: 1 })).map(([key, value]) => ({
    path: key,
    messageIncludes: "is not a known field",
    apply: (c: Record<string, Json>) => {
      // defineProperty, so that "__proto__" becomes an own field as JSON.parse makes it.
      const out = { ...c };
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      return out;
    },
  })),
);

// --- bodies -------------------------------------------------------------------------------------

type Body =
  | { shape: "valid"; json: Json; items?: number }
  | { shape: "invalid"; json: Json; paths: string[]; messageIncludes?: string; status?: 400 | 413 }
  | { shape: "garbage"; bytes: Uint8Array };

const batchOf = (size: number) =>
  fc.tuple(...Array.from({ length: size }, (_, index) => validChangeArb(index)));

function bodyArb(): fc.Arbitrary<Body> {
  const single = validChangeArb(0);
  return fc.oneof(
    { weight: 6, arbitrary: single.map((json): Body => ({ shape: "valid", json })) },
    {
      weight: 2,
      arbitrary: fc
        .integer({ min: 1, max: 5 })
        .chain((size) => batchOf(size))
        .map((changes): Body => ({ shape: "valid", json: { changes }, items: changes.length })),
    },
    {
      weight: 6,
      arbitrary: fc.tuple(single, breakageArb).map(
        ([change, broken]): Body => ({
          shape: "invalid",
          json: broken.apply(change),
          paths: [broken.path],
          ...(broken.messageIncludes === undefined ? {} : { messageIncludes: broken.messageIncludes }),
        }),
      ),
    },
    {
      weight: 3,
      arbitrary: fc
        .integer({ min: 1, max: 5 })
        .chain((size) => fc.tuple(batchOf(size), fc.nat({ max: size - 1 }), breakageArb))
        .map(([changes, at, broken]): Body => {
          const items: Json[] = [...changes];
          items[at] = broken.apply(changes[at] as Record<string, Json>);
          return { shape: "invalid", json: { changes: items }, paths: [`changes[${at}].${broken.path}`] };
        }),
    },
    { weight: 2, arbitrary: batchShapeArb() },
    {
      weight: 2,
      arbitrary: fc
        .oneof(fc.constantFrom<Json>(5, "text", null, true, 0, ""), fc.array(single, { maxLength: 2 }))
        .map((json): Body => ({ shape: "invalid", json, paths: ["(body)"] })),
    },
    { weight: 4, arbitrary: garbageArb(single) },
  );
}

/** Batches broken as a whole: empty, too many, not an array, an extra top-level field, non-object items. */
function batchShapeArb(): fc.Arbitrary<Body> {
  const one = validChangeArb(0);
  return fc.oneof(
    fc.constant<Body>({ shape: "invalid", json: { changes: [] }, paths: ["changes"] }),
    one.map(
      (change): Body => ({
        shape: "invalid",
        json: { changes: Array.from({ length: MAX_BATCH + 1 }, () => change) },
        paths: ["changes"],
        status: 413,
      }),
    ),
    fc
      .constantFrom<Json>("x", null, {}, 5, true)
      .map((changes): Body => ({ shape: "invalid", json: { changes }, paths: ["changes"] })),
    one.map(
      (change): Body => ({ shape: "invalid", json: { changes: [change], dryRun: true }, paths: ["dryRun"] }),
    ),
    fc
      .constantFrom<Json>(5, null, "change", [])
      .map((item): Body => ({ shape: "invalid", json: { changes: [item] }, paths: ["changes[0]"] })),
  );
}

/** Not JSON at all, or not UTF-8, or JSON cut short or with something after it. */
function garbageArb(single: fc.Arbitrary<Record<string, Json>>): fc.Arbitrary<Body> {
  return fc
    .oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ unit: "binary", maxLength: 300 }).map(utf8),
      fc.tuple(single, fc.nat()).map(([change, cut]) => {
        const text = JSON.stringify(change);
        return utf8(text.slice(0, cut % text.length));
      }),
      fc
        .tuple(single, fc.constantFrom("x", "}", ",", "{}", "\u0000"))
        .map(([c, tail]) => utf8(JSON.stringify(c) + tail)),
      // A valid change with one byte of its reason made invalid UTF-8: refused, not read as U+FFFD.
      fc.tuple(single, fc.constantFrom(0x80, 0xc3, 0xff)).map(([change, byte]) => {
        const bytes = Buffer.from(JSON.stringify({ ...change, reason: "a~b" }));
        bytes[bytes.indexOf("a~b") + 1] = byte;
        return new Uint8Array(bytes);
      }),
    )
    .map((bytes): Body => ({ shape: "garbage", bytes }));
}

function bodyBytes(body: Body): Uint8Array {
  return body.shape === "garbage" ? body.bytes : utf8(JSON.stringify(body.json));
}

// --- headers ------------------------------------------------------------------------------------

const JSON_TYPES = [
  "application/json",
  "Application/JSON",
  "application/json; charset=utf-8",
  "application/json;charset=UTF-8",
  'application/json; charset="utf-8"',
  "application/json; charset=utf8",
  "application/vnd.owner-change+json",
  "application/json; version=1",
];
const NOT_JSON_TYPES = [
  "",
  "text/plain",
  "text/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/jsonx",
  "application/json-seq",
  "json",
  "*/*",
  "application/*",
  "application/json; charset=iso-8859-1",
  "application/json; charset=utf-16",
  "application/json; charset=",
  "application/json, text/plain",
];
const contentTypeArb = fc.constantFrom(...JSON_TYPES);
const badContentTypeArb = fc.oneof(
  fc.constantFrom<string | undefined>(undefined, ...NOT_JSON_TYPES),
  fc.string({ unit: "binary-ascii", maxLength: 40 }).map((text) => `x-${text.replace(/[\r\n\0]/g, "")}`),
);

/** Latin-1 text without CR, LF and NUL: what a header value can carry at all. */
const headerText = (max: number) =>
  fc
    .string({
      unit: fc.integer({ min: 1, max: 255 }).map((code) => String.fromCharCode(code)),
      maxLength: max,
    })
    .map((text) => text.replace(/[\r\n]/g, ""));

/** Idempotency keys of odd shapes that are still keys (1–200 characters once trimmed). */
export const goodKeyArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant(TAG),
  headerText(40).map((odd) => `${TAG}${odd}`),
  fc.constant(`  ${TAG}  `),
  fc.constant(`${TAG}${"k".repeat(200 - TAG.length)}`),
);
const badKeyArb = fc.oneof(
  fc.constantFrom("", "   ", "\t"),
  fc.integer({ min: 201, max: 10_000 }).map((length) => "k".repeat(length)),
);

// --- what an answer must look like ---------------------------------------------------------------

export interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/**
 * Checks an answer against the rules every answer obeys — 202 JSON, or a 4xx problem+json whose 400s
 * name what is wrong — and against what the case expects. Returns the request ids a 202 handed out.
 */
export function checkAnswer(answer: Answer, expected: HttpExpectation): unknown[] {
  const { status, headers, json } = answer;
  const context = `${status} ${JSON.stringify(json)}`;
  if (expected.status !== "any") expect(status, context).toBe(expected.status);
  if (status >= 200 && status < 300) {
    expect(status, context).toBe(202);
    expect(headers.get("content-type")).toMatch(/^application\/json/);
    if (json.items === undefined) {
      expect(json).toMatchObject({
        status: "queued",
        statusUrl: expect.stringMatching(/\/api\/owner-changes\/[rk]-/),
      });
      expect(json.statusUrl).toMatch(new RegExp(`/${json.id}$`));
      expect(headers.get("location")).toBe(json.statusUrl);
      return [json.id];
    }
    const items = json.items as { id: unknown; index: number }[];
    expect(items.map((item) => item.index)).toEqual(items.map((_, index) => index));
    if (expected.status === 202 && expected.items !== undefined) expect(items).toHaveLength(expected.items);
    return items.map((item) => item.id);
  }
  expect(status >= 400 && status < 500, context).toBe(true);
  expect(headers.get("content-type")).toBe("application/problem+json");
  expect(json).toMatchObject({ status, type: expect.stringMatching(/^urn:/), title: expect.any(String) });
  expect(typeof json.detail).toBe("string");
  const errors = (json.errors ?? []) as { path: unknown; message: unknown }[];
  if (status === 400) {
    // A 400 always names what is wrong: a field, a header, or the body as a whole.
    expect(errors.length, context).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.path).toEqual(expect.stringMatching(/./));
      expect(error.message).toEqual(expect.stringMatching(/./));
    }
  }
  if (expected.status !== "any" && expected.status !== 202) {
    if (expected.paths !== undefined) {
      expect([...new Set(errors.map((e) => e.path))].sort(), context).toEqual([...expected.paths].sort());
    }
    if (expected.messageIncludes !== undefined) {
      expect(errors.map((e) => e.message).join("; ")).toContain(expected.messageIncludes);
    }
  }
  return [];
}

// --- HTTP cases ---------------------------------------------------------------------------------

function caseFor(kind: string, body: Body, headers: Record<string, string>): HttpCase {
  const expect: HttpExpectation =
    body.shape === "valid"
      ? { status: 202, ...(body.items === undefined ? {} : { items: body.items }) }
      : body.shape === "garbage"
        ? { status: 400 }
        : {
            status: body.status ?? 400,
            paths: body.paths,
            ...(body.messageIncludes === undefined ? {} : { messageIncludes: body.messageIncludes }),
          };
  return printCase({ kind: `${kind}:${body.shape}`, headers, body: bodyBytes(body), expect });
}

/** Every body shape under valid headers, with or without an idempotency key of odd shape. */
const bodiesCaseArb = fc
  .tuple(bodyArb(), contentTypeArb, fc.option(goodKeyArb, { nil: undefined }))
  .map(([body, type, key]) =>
    caseFor("body", body, { "content-type": type, ...(key === undefined ? {} : { "idempotency-key": key }) }),
  );

const validSingle = validChangeArb(0);
const jsonBytes = (json: Json) => utf8(JSON.stringify(json));

/** A valid body under a content type that is not JSON (or not UTF-8): 415. */
const mediaCaseArb = fc.tuple(validSingle, badContentTypeArb).map(([json, type]) =>
  printCase({
    kind: "content-type",
    headers: type === undefined ? {} : { "content-type": type },
    body: jsonBytes(json),
    expect: { status: 415 },
  }),
);

/** A blank or overlong idempotency key: 400 naming the header. */
const keyCaseArb = fc.tuple(validSingle, badKeyArb).map(([json, key]) =>
  printCase({
    kind: "idempotency-key",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: jsonBytes(json),
    expect: { status: 400, paths: ["Idempotency-Key"] },
  }),
);

/**
 * Sizes around the limit, padded with JSON whitespace so the body stays valid: at the limit it is taken,
 * one byte over it is not. Content-Length is true, absent, lying low, malformed, or huge.
 */
const sizeCaseArb = fc
  .tuple(
    validSingle,
    fc.constantFrom(LIMIT - 1, LIMIT, LIMIT + 1, LIMIT + 4096, 1024 * 1024),
    fc.constantFrom("true", "absent", "low", "malformed", "huge"),
  )
  .map(([json, size, declared]) => {
    const text = utf8(JSON.stringify(json));
    const bytes = new Uint8Array(Math.max(size, text.byteLength)).fill(0x20);
    bytes.set(text);
    const length = {
      true: String(bytes.byteLength),
      absent: undefined,
      low: "10",
      malformed: "12ab",
      huge: "99999999999",
    }[declared];
    const status = declared === "huge" || bytes.byteLength > LIMIT ? 413 : 202;
    return printCase({
      kind: `size:${declared}:${status}`,
      headers: {
        "content-type": "application/json",
        ...(length === undefined ? {} : { "content-length": length }),
      },
      body: bytes,
      expect: { status },
    });
  });

/** Anything from every pool at once: only the general rules must hold. */
const chaosCaseArb = fc
  .tuple(
    fc.oneof(
      // Sizes around the limit have cases of their own; here they are one ingredient among many.
      { weight: 6, arbitrary: bodyArb().map(bodyBytes) },
      { weight: 1, arbitrary: sizeCaseArb.map((c) => c.body) },
    ),
    fc.oneof(contentTypeArb, badContentTypeArb),
    fc.option(fc.oneof(goodKeyArb, badKeyArb), { nil: undefined }),
    fc.option(fc.oneof(headerText(20), fc.constantFrom("0", "-1", "262145", "1e9")), { nil: undefined }),
  )
  .map(([body, type, key, length]) => {
    const headers: Record<string, string> = {};
    if (type !== undefined) headers["content-type"] = type;
    if (key !== undefined) headers["idempotency-key"] = key;
    if (length !== undefined) headers["content-length"] = length;
    return printCase({ kind: "chaos", headers, body, expect: { status: "any" } });
  });

export const unsignedCaseArb: fc.Arbitrary<HttpCase> = fc.oneof(
  { weight: 10, arbitrary: bodiesCaseArb },
  { weight: 2, arbitrary: mediaCaseArb },
  { weight: 1, arbitrary: keyCaseArb },
  { weight: 1, arbitrary: sizeCaseArb },
  { weight: 3, arbitrary: chaosCaseArb },
);

// --- signed (Standard Webhooks) cases -----------------------------------------------------------

type Signing =
  | { how: "valid"; secret: number; ageSeconds: number; extra: "none" | "before" | "after" }
  | { how: "missing"; header: "webhook-id" | "webhook-timestamp" | "webhook-signature" }
  | { how: "foreign-secret" | "tampered" | "wrong-version" | "bare" | "empty" }
  | { how: "stale" | "future"; seconds: number }
  | { how: "garbage"; signature: string; timestamp: string };

const signingArb: fc.Arbitrary<Signing> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      how: fc.constant("valid" as const),
      secret: fc.constantFrom(0, 1),
      // Within the five minutes' tolerance, with a wide margin: the library reads the real clock.
      ageSeconds: fc.integer({ min: -200, max: 200 }),
      extra: fc.constantFrom("none" as const, "before" as const, "after" as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom("webhook-id" as const, "webhook-timestamp" as const, "webhook-signature" as const)
      .map((header) => ({ how: "missing" as const, header })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        "foreign-secret" as const,
        "tampered" as const,
        "wrong-version" as const,
        "bare" as const,
        "empty" as const,
      )
      .map((how) => ({ how })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      how: fc.constantFrom("stale" as const, "future" as const),
      seconds: fc.integer({ min: 400, max: 10_000_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      how: fc.constant("garbage" as const),
      signature: headerText(80),
      timestamp: fc.oneof(headerText(12), fc.constantFrom("now", "-1", "1e10", "")),
    }),
  },
);

/** Standard Webhooks headers for `body` as `signing` says, at `nowSeconds`. */
export function signedHeaders(
  signing: Signing,
  webhookId: string,
  body: Uint8Array,
  nowSeconds: number,
): Record<string, string> {
  const sign = (secret: string, at: number, payload: Uint8Array) =>
    new Webhook(secret).sign(webhookId, new Date(at * 1000), Buffer.from(payload));
  const headers = (signature: string, at = nowSeconds) => ({
    "webhook-id": webhookId,
    "webhook-timestamp": String(at),
    "webhook-signature": signature,
  });
  const good = () => sign(WEBHOOK_SECRETS[0] as string, nowSeconds, body);
  switch (signing.how) {
    case "valid": {
      const at = nowSeconds - signing.ageSeconds;
      const signature = sign(WEBHOOK_SECRETS[signing.secret] as string, at, body);
      if (signing.extra === "none") return headers(signature, at);
      // Several signatures, space-separated (rotation on the sender's side): one valid one is enough.
      const other = sign(FOREIGN_SECRET, at, body);
      return headers(signing.extra === "before" ? `${other} ${signature}` : `${signature} ${other}`, at);
    }
    case "missing": {
      const { [signing.header]: _dropped, ...rest } = headers(good());
      return rest;
    }
    case "foreign-secret":
      return headers(sign(FOREIGN_SECRET, nowSeconds, body));
    case "tampered":
      return headers(
        sign(WEBHOOK_SECRETS[0] as string, nowSeconds, utf8(`${Buffer.from(body).toString()} `)),
      );
    case "wrong-version":
      return headers(good().replace(/^v1,/, "v2,"));
    case "bare":
      return headers(good().replace(/^v1,/, ""));
    case "empty":
      return headers("v1,");
    case "stale":
    case "future": {
      const at = nowSeconds + (signing.how === "stale" ? -signing.seconds : signing.seconds);
      return headers(sign(WEBHOOK_SECRETS[0] as string, at, body), at);
    }
    case "garbage":
      return {
        "webhook-id": webhookId,
        "webhook-timestamp": signing.timestamp,
        "webhook-signature": signing.signature,
      };
  }
}

export interface SignedCase {
  base: HttpCase;
  signing: Signing;
}

/**
 * With WEBHOOK_SECRETS set: HTTP cases signed validly or not (the webhook id contains TAG too).
 * Megabyte bodies are left to the unsigned cases: signing them with the library's pure-JS HMAC costs
 * more time than it shows anything.
 */
export const signedCaseArb: fc.Arbitrary<SignedCase> = fc.record({
  base: fc.oneof(
    bodiesCaseArb,
    mediaCaseArb,
    keyCaseArb,
    sizeCaseArb.filter((c) => c.body.byteLength <= LIMIT + 4096),
  ),
  signing: signingArb,
});

/**
 * A valid signature does not excuse a bad body, content type or size; a bad one is 401 whatever else is
 * wrong, except a body too large to read. The `Idempotency-Key` header does not count for a signed
 * delivery (its webhook id is the key), so a bad one is no reason to refuse it.
 */
export function signedExpectation({ base, signing }: SignedCase): HttpExpectation {
  // The body is read, up to the limit, before its signature can be checked; a batch's length after.
  if (base.kind.startsWith("size:") && base.expect.status === 413) return base.expect;
  if (signing.how !== "valid") return { status: 401 };
  if (base.kind === "idempotency-key") return { status: 202 };
  return base.expect;
}

// --- queue messages -----------------------------------------------------------------------------

export interface QueueCase {
  kind: string;
  /** The message before encoding; TAG in it is replaced before each execution. */
  payload: string;
  /** Stored as the text itself, base64-encoded, or handed over by the host as bytes. */
  encoding: "text" | "base64" | "bytes";
  expect: { accepted: true } | { accepted: false; paths?: string[] } | { accepted: "any" };
}

/** The message text as stored in the queue. */
export function messageText(c: QueueCase, tag: string): string {
  const payload = freshen(c.payload, tag);
  return c.encoding === "base64" ? Buffer.from(payload).toString("base64") : payload;
}

/** What the host hands the queue trigger: bytes, or the text parsed when it is JSON, else the text. */
export function triggerInput(c: QueueCase, text: string): unknown {
  if (c.encoding === "bytes") return new Uint8Array(Buffer.from(text));
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const queueCase = (c: QueueCase) =>
  printable(
    c,
    (v) =>
      `${v.kind} (${v.encoding}) ${JSON.stringify(v.payload.slice(0, 300))} expect ${JSON.stringify(v.expect)}`,
  );

export const queueCaseArb: fc.Arbitrary<QueueCase> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        validSingle,
        fc.dictionary(fc.constantFrom("schemaVersion", "colour", "Email"), fc.jsonValue({ maxDepth: 1 })),
      )
      .map(([change, extra]) =>
        queueCase({
          kind: "json",
          payload: JSON.stringify({ ...extra, ...change }),
          encoding: "text",
          expect: { accepted: true },
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: validSingle.map((change) =>
      queueCase({
        kind: "base64",
        payload: JSON.stringify(change),
        encoding: "base64",
        expect: { accepted: true },
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: validSingle.map((change) =>
      queueCase({
        kind: "bytes",
        payload: JSON.stringify(change),
        encoding: "bytes",
        expect: { accepted: true },
      }),
    ),
  },
  {
    weight: 4,
    arbitrary: fc.tuple(validSingle, breakageArb, fc.boolean()).map(([change, broken, encoded]) => {
      // Unknown fields are ignored on the queue: such a change is valid there.
      const accepted = broken.messageIncludes === "is not a known field";
      return queueCase({
        kind: accepted ? "unknown-field" : "invalid",
        payload: JSON.stringify(broken.apply(change)),
        encoding: encoded ? "base64" : "text",
        expect: accepted ? { accepted: true } : { accepted: false, paths: [broken.path] },
      });
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom<Json>(5, "text", null, true, []),
        fc.array(validSingle, { minLength: 1, maxLength: 2 }),
      )
      .map((json) =>
        // The host hands a JSON string over as the string, which the intake then reads as message text.
        queueCase({
          kind: "non-object",
          payload: JSON.stringify(json),
          encoding: "text",
          expect: typeof json === "string" ? { accepted: false } : { accepted: false, paths: ["(body)"] },
        }),
      ),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 200 }),
          fc.uint8Array({ minLength: 1, maxLength: 100 }).map((b) => Buffer.from(b).toString("latin1")),
        ),
        fc.constantFrom("text" as const, "base64" as const),
      )
      .map(([payload, encoding]) =>
        queueCase({ kind: "garbage", payload, encoding, expect: { accepted: "any" } }),
      ),
  },
);
