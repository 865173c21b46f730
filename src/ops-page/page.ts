import { createHash } from "node:crypto";
import { STATUSES } from "../changes/model.ts";
import { type OpsPageConfig, opsPageScript } from "./client.ts";

/**
 * The ops page (design §3, `GET /api/ops`): one HTML document with its style and script inline, and the
 * headers that lock it down. Pure; built once per process by the handler. The page holds no data and no
 * key: its script (client.ts) asks the public HTTP API for everything, with the key the operator enters.
 *
 * The Content-Security-Policy allows exactly this page's one `<style>` and one `<script>` (by their
 * SHA-256, so no per-request nonce is needed for a page that never changes), calls to its own origin
 * only, no forms posting anywhere, no framing, and Trusted Types with no policy, which makes every
 * HTML-parsing sink (`innerHTML` and friends) throw: text from the API can only ever be text.
 */

const STYLE = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --line: #d9dee5; --panel: #fff; --bg: #f3f5f8;
  --succeeded: #2e7d32; --failed: #c62828; --rejected: #e65100; --held: #6a1b9a; --pending: #78909c; --retries: #f9a825; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: #17324d; color: #fff; }
header h1 { font-size: 17px; margin: 0; flex: 1; }
main, #login { max-width: 1280px; margin: 16px auto; padding: 0 16px; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.wide { grid-column: 1 / -1; }
h2 { font-size: 15px; margin: 0 0 10px; display: flex; align-items: center; gap: 8px; }
h2 .spacer { flex: 1; }
h3 { font-size: 13px; margin: 12px 0 6px; color: var(--muted); }
button { font: inherit; border: 1px solid #9aa5b4; background: #fff; border-radius: 5px; padding: 3px 10px; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
header button { background: transparent; color: #fff; border-color: #8fb0d0; }
button.approve { border-color: var(--succeeded); color: var(--succeeded); }
button.reject { border-color: var(--failed); color: var(--failed); }
button.link { border: 0; padding: 0; background: none; color: #1558b0; text-decoration: underline; font: inherit; }
input { font: inherit; padding: 4px 8px; border: 1px solid #9aa5b4; border-radius: 5px; }
form, .decider { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
label { color: var(--muted); display: flex; gap: 6px; align-items: center; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.actions { white-space: nowrap; }
.actions button + button { margin-left: 6px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { border-radius: 999px; }
.chip[aria-pressed="true"] { background: #17324d; color: #fff; border-color: #17324d; }
.badge { display: inline-block; padding: 0 7px; border-radius: 999px; color: #fff; font-size: 12px; background: var(--pending); }
.badge.s-succeeded { background: var(--succeeded); } .badge.s-failed { background: var(--failed); }
.badge.s-rejected { background: var(--rejected); } .badge.s-held { background: var(--held); }
.message { white-space: pre-line; margin: 8px 0 0; color: var(--muted); min-height: 1em; }
.message.error { color: var(--failed); font-weight: 600; }
.tiles { display: flex; flex-wrap: wrap; gap: 8px; }
.tile { border: 1px solid var(--line); border-left: 4px solid var(--pending); border-radius: 6px; padding: 4px 10px; min-width: 86px; }
.tile.total { border-left-color: #17324d; } .tile.outcome { border-left-color: #90a4ae; } .tile.retries { border-left-color: var(--retries); }
.tile.s-succeeded { border-left-color: var(--succeeded); } .tile.s-failed { border-left-color: var(--failed); }
.tile.s-rejected { border-left-color: var(--rejected); } .tile.s-held { border-left-color: var(--held); }
.tile-value { display: block; font-size: 20px; font-weight: 650; }
.tile-label { color: var(--muted); font-size: 12px; }
#chart { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 16px; margin-top: 10px; }
#chart svg { max-width: 100%; height: auto; }
svg .axis { font-size: 10px; fill: var(--muted); }
svg .baseline { stroke: var(--line); }
svg .bar.s-succeeded { fill: var(--succeeded); } svg .bar.s-failed { fill: var(--failed); }
svg .bar.s-rejected { fill: var(--rejected); } svg .bar.s-held { fill: var(--held); }
svg .bar.s-pending { fill: var(--pending); } svg .bar.retries { fill: var(--retries); }
.legend { list-style: none; padding: 0; margin: 0; font-size: 12px; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; background: var(--pending); }
.swatch.s-succeeded { background: var(--succeeded); } .swatch.s-failed { background: var(--failed); }
.swatch.s-rejected { background: var(--rejected); } .swatch.s-held { background: var(--held); }
.swatch.retries { background: var(--retries); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 8px; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
.timeline { list-style: none; margin: 0; padding: 0 0 0 14px; border-left: 2px solid var(--line); }
.timeline li { position: relative; padding: 3px 0 3px 8px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
.timeline li::before { content: ""; position: absolute; left: -20px; top: 9px; width: 10px; height: 10px; border-radius: 50%; background: #9aa5b4; }
.timeline time { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; color: var(--muted); }
.note { overflow-wrap: anywhere; }
.reason { overflow-wrap: anywhere; max-width: 28em; }
@media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr); } }
`;

const BODY = `
<header><h1>Owner changes · operations</h1><button id="refresh" type="button" hidden>Refresh</button><button id="signout" type="button" hidden>Sign out</button></header>
<section id="login" class="panel" hidden>
  <h2>Sign in</h2>
  <form id="login-form">
    <label for="key">Function key</label>
    <input id="key" type="password" autocomplete="off" spellcheck="false" size="40">
    <button type="submit">Sign in</button>
  </form>
  <p class="message">Reading takes a function key; approving, rejecting and the poison queues take the master key. The key stays in this tab (sessionStorage) and is sent only in the x-functions-key header to this server. The local runner checks no keys: any text will do.</p>
  <p id="login-message" class="message" role="alert"></p>
</section>
<main id="app" hidden>
  <section id="counters" class="panel wide" aria-labelledby="counters-title">
    <h2 id="counters-title">Last 24 hours</h2>
    <div id="counter-tiles" class="tiles"></div>
    <div id="chart"></div>
    <p id="counters-message" class="message" role="status"></p>
  </section>
  <section id="recent" class="panel wide" aria-labelledby="recent-title">
    <h2 id="recent-title">Recent requests</h2>
    <div id="chips" class="chips" role="group" aria-label="Filter by status"></div>
    <form id="search-form" role="search">
      <input id="search" type="search" placeholder="email or iTwin id" aria-label="Email or iTwin id" size="42">
      <button type="submit">Search</button>
    </form>
    <table>
      <thead><tr><th>created (UTC)</th><th>status</th><th>outcome</th><th>action</th><th>email</th><th>iTwin</th><th>via</th><th>request</th></tr></thead>
      <tbody id="recent-rows"></tbody>
    </table>
    <p id="recent-message" class="message" role="status"></p>
    <button id="more" type="button" hidden>More</button>
  </section>
  <section id="held" class="panel" aria-labelledby="held-title">
    <h2 id="held-title">Held removals</h2>
    <div class="decider">
      <label>Decided by <input id="who" autocomplete="email" placeholder="you@corp.example" size="22"></label>
      <label>Reason <input id="reason" placeholder="optional" size="18"></label>
    </div>
    <table>
      <thead><tr><th>created (UTC)</th><th>email</th><th>iTwin</th><th>request</th><th></th></tr></thead>
      <tbody id="held-rows"></tbody>
    </table>
    <p id="held-message" class="message" role="status"></p>
  </section>
  <section id="history" class="panel" aria-labelledby="history-title" hidden>
    <h2><span id="history-title">History</span><span class="spacer"></span><button id="history-close" type="button">Close</button></h2>
    <dl id="history-facts"></dl>
    <ol id="history-timeline" class="timeline"></ol>
    <p id="history-message" class="message" role="status"></p>
  </section>
  <section id="poison" class="panel wide" aria-labelledby="poison-title">
    <h2 id="poison-title">Poison queues</h2>
    ${["requests", "jobs"].map(poisonQueue).join("\n")}
  </section>
</main>
`;

function poisonQueue(queue: string): string {
  return `<div id="poison-${queue}">
      <h3>owner-change-${queue}-poison <button id="poison-${queue}-all" type="button" hidden>Replay all</button></h3>
      <table>
        <thead><tr><th>poisoned (UTC)</th><th>reason</th><th>change</th><th>dequeues</th><th></th></tr></thead>
        <tbody id="poison-${queue}-rows"></tbody>
      </table>
      <p id="poison-${queue}-message" class="message" role="status"></p>
    </div>`;
}

/** JSON for a `<script>` element: `<` escaped, so no value can end the element early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c");
}

/**
 * The inline script: the client function's own text, called with the page's settings. Source run
 * through tsx (`npm start`, the tests) is compiled with esbuild's keepNames, which wraps named
 * functions in calls to a module-level `__name` helper the browser would not have; the identity one
 * here makes that text run unchanged (the production bundle has no such calls).
 */
export function scriptText(config: OpsPageConfig): string {
  const source = opsPageScript.toString();
  return `"use strict";{const __name=(target)=>target;(${source})(${scriptJson(config)});}`;
}

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

export interface OpsPage {
  html: string;
  headers: Record<string, string>;
}

export function opsPage(): OpsPage {
  const script = scriptText({ statuses: STATUSES });
  if (/<\/script/i.test(script) || /<\/style/i.test(STYLE)) {
    throw new Error("ops page: the inline script or style contains a closing tag");
  }
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Owner changes · operations</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${script}</script>
</body>
</html>
`;
  return {
    html,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": csp,
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    },
  };
}
