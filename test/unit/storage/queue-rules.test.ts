import { describe, expect, it } from "vitest";
import {
  decodeBase64Text,
  isPoisonQueue,
  isValidQueueName,
  poisonQueueName,
} from "../../../src/storage/queue-rules.ts";

describe("queue names", () => {
  it("accepts Azure's 3-63 lower-case letters, digits and single inner hyphens", () => {
    expect(isValidQueueName("owner-change-jobs")).toBe(true);
    expect(isValidQueueName("abc")).toBe(true);
    expect(isValidQueueName("a".repeat(63))).toBe(true);
  });

  it.each(["ab", "a".repeat(64), "Owner", "a--b", "-ab", "ab-", "a_b", "a b"])("refuses %j", (name) => {
    expect(isValidQueueName(name)).toBe(false);
  });

  it("names the poison queue the host moves failures to, and knows a poison queue", () => {
    expect(poisonQueueName("owner-change-jobs")).toBe("owner-change-jobs-poison");
    expect(isPoisonQueue("owner-change-jobs")).toBe(false);
    expect(isPoisonQueue("owner-change-jobs-poison")).toBe(true);
    expect(isPoisonQueue("Jobs-Poison")).toBe(true);
  });
});

describe("decodeBase64Text", () => {
  it("decodes base64 of UTF-8 text, ignoring white space", () => {
    const json = '{"email":"zoë@corp.example"}';
    expect(decodeBase64Text(Buffer.from(json).toString("base64"))).toEqual({ ok: true, text: json });
    expect(decodeBase64Text("aGVs\nbG8=\n")).toEqual({ ok: true, text: "hello" });
    expect(decodeBase64Text("")).toEqual({ ok: true, text: "" });
  });

  it("refuses text that is not padded base64, or bytes that are not UTF-8", () => {
    expect(decodeBase64Text('{"a":1}')).toEqual({ ok: false, error: "message is not valid base64" });
    expect(decodeBase64Text("abc").ok).toBe(false);
    expect(decodeBase64Text("aGk").ok).toBe(false);
    expect(decodeBase64Text("aG=k").ok).toBe(false);
    expect(decodeBase64Text("add alice please").ok).toBe(false);
    expect(decodeBase64Text(Buffer.from([0xff, 0xfe, 0xfd]).toString("base64"))).toEqual({
      ok: false,
      error: "message is base64 but not UTF-8 text",
    });
  });
});
