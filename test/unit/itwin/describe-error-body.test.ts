import { describe, expect, it } from "vitest";
import { describeErrorBody } from "../../../src/itwin/errors/describe-error-body.ts";

describe("describeErrorBody", () => {
  it("reads the code, the message and the details' codes from the API's error shape", () => {
    const body = JSON.stringify({
      error: {
        code: "InvalidiTwinsMemberRequest",
        message: "Request body or query is invalid.",
        details: [{ code: "iTwinMemberAlreadyExists" }, { message: "no code" }, null, { code: "" }],
      },
    });
    expect(describeErrorBody(422, body)).toEqual({
      code: "InvalidiTwinsMemberRequest",
      message: "Request body or query is invalid.",
      detailCodes: ["iTwinMemberAlreadyExists"],
    });
  });

  it("keeps the details' codes when the error itself has no code", () => {
    const body = JSON.stringify({ error: { details: [{ code: "iTwinMemberAlreadyExists" }] } });
    expect(describeErrorBody(422, body)).toMatchObject({
      code: "Http422",
      detailCodes: ["iTwinMemberAlreadyExists"],
    });
  });

  it("bounds a detail code like the code, and has none for a body that is not JSON", () => {
    const long = "x".repeat(300);
    const body = JSON.stringify({ error: { code: "E", details: [{ code: long }] } });
    expect(describeErrorBody(400, body).detailCodes).toEqual(["x".repeat(100)]);
    expect(describeErrorBody(502, "<html>Bad gateway</html>")).toEqual({
      code: "Http502",
      message: "Bad gateway",
      detailCodes: [],
    });
  });
});
