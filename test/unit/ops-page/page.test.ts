import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { opsPage, scriptText } from "../../../src/ops-page/page.ts";

const hash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

describe("the ops page's document", () => {
  const { html, headers } = opsPage();
  const directive = (name: string) =>
    headers["content-security-policy"]
      ?.split("; ")
      .find((part) => part.startsWith(`${name} `))
      ?.slice(name.length + 1);

  it("allows by hash exactly its one inline script and its one style, and nothing else to run", () => {
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? "");
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1] ?? "");
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(directive("script-src")).toBe(hash(scripts[0] ?? ""));
    expect(directive("style-src")).toBe(hash(styles[0] ?? ""));
    expect(directive("default-src")).toBe("'none'");
    expect(directive("connect-src")).toBe("'self'");
    expect(directive("require-trusted-types-for")).toBe("'script'");
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it("is sent as HTML that is never cached or sniffed", () => {
    expect(headers).toMatchObject({
      "content-type": "text/html; charset=utf-8",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
    });
  });

  it("cannot be closed early by a value in the script's settings", () => {
    const script = scriptText({ statuses: ["</script><script>alert(1)</script>"] });
    expect(script).not.toMatch(/<\/script/i);
    expect(script).toContain("\\u003c/script>");
  });
});
