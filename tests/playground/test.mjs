// The playground in a real browser (docs/playground.md): Debian's Chromium driven by
// playwright-core. Serves the built site from a folder on loopback, types a configuration with a
// known problem, waits for the finding and checks its rule, file and line through the testing
// contract (data-rule, data-severity, data-file, data-line), fixes it and sees it go, adds an
// included file, opens the shared link in a new page and sees the same files and findings, and
// saves a screenshot.
//
//   node tests/playground/test.mjs SITE [SCREENSHOT]
//
// SITE is what scripts/build-playground.sh built; CHROMIUM overrides /usr/bin/chromium.
// Prints one line per check and "N passed, M failed"; exits 1 on a failure.
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";

const [siteArg, screenshot] = process.argv.slice(2);
if (!siteArg) {
  console.error("usage: node tests/playground/test.mjs SITE [SCREENSHOT]");
  process.exit(2);
}
const site = resolve(siteArg);
const TIMEOUT = 15_000;

// ---- a static server, as GitLab Pages would be ----------------------------------------------
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
};
const served = [];
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = resolve(join(site, path.endsWith("/") ? path + "index.html" : path));
  served.push(path);
  if (!file.startsWith(site + sep)) {
    res.writeHead(403).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---- the browser ----------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // Without the background-networking flags Chromium tries to reach Google's hosts, which the
  // closed network here refuses.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const context = await browser.newContext({ viewport: { width: 1360, height: 820 } });
// Privacy: every request the pages make is recorded; only the site's own files may be asked.
const requests = [];
context.on("request", (r) => requests.push(r.url()));
const pageErrors = [];

async function open(url) {
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("dialog", (d) => d.accept(nextAnswer ?? undefined));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: TIMEOUT });
  return page;
}
let nextAnswer = null;

/** The findings list as the testing contract gives it. */
const findings = (page) =>
  page.$$eval("#findings li.finding", (lis) =>
    lis.map((li) => `${li.dataset.severity} ${li.dataset.rule} ${li.dataset.file}:${li.dataset.line}`),
  );

/** Waits until the findings list is exactly `want` (the list is re-rendered after a debounce). */
async function waitFindings(page, want) {
  const deadline = Date.now() + TIMEOUT;
  let got;
  while (Date.now() < deadline) {
    got = await findings(page);
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    await page.waitForTimeout(50);
  }
  throw new Error(`findings: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

/** How many lints the page has run (`#status[data-generation]`). */
const generation = async (page) => Number((await page.getAttribute("#status", "data-generation")) || 0);

/** Runs `edit`, then waits for the lint it causes (so that no check reads the findings of the
 * text before the edit). */
async function edited(page, edit) {
  const before = await generation(page);
  await edit();
  await page.waitForFunction(
    (n) => Number(document.getElementById("status").dataset.generation) > n,
    before,
    { timeout: TIMEOUT },
  );
}

/** The text of the editor (every line is rendered: the files here are short). */
const editorText = (page) =>
  page.$$eval(".cm-content .cm-line", (lines) => lines.map((l) => l.textContent).join("\n"));

/** Replaces the active tab's text as a paste would (no auto-indent). */
async function replaceText(page, text) {
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(text);
}

// ---- the checks ------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
async function check(name, f) {
  try {
    await f();
    console.log(`ok    ${name}`);
    passed++;
  } catch (e) {
    console.log(`FAIL  ${name}\n      ${String(e?.stack || e).split("\n").slice(0, 4).join("\n      ")}`);
    failed++;
    throw e;
  }
}
const assert = (cond, what) => {
  if (!cond) throw new Error(what);
};

const BAD = `stages: [build]

variables:
  NODE_ENV: test

build:
  stage: build
  script: [npm ci --cache .npm]
  cache:
    key: npm
    paths:
      - ~/.npm
`;
const started = Date.now();
let page;
try {
  await check("the page loads from the static folder and lints its starter configuration", async () => {
    page = await open(origin + "/");
    await page.waitForSelector("#status[data-count]", { timeout: TIMEOUT });
    assert((await page.$$("#tabs .tab")).length === 1, "one tab at start");
    await waitFindings(page, ["warning cache-path-outside-project .gitlab-ci.yml:9"]);
  });

  await check("a typed configuration with a cache path outside the project is reported on its line", async () => {
    await edited(page, () => replaceText(page, BAD));
    await waitFindings(page, ["warning cache-path-outside-project .gitlab-ci.yml:12"]);
    const count = await page.getAttribute("#status", "data-count");
    assert(count === "1", `status count ${count}`);
    const status = await page.textContent("#status");
    assert(/1 warning in 1 file, [0-9.]+ ms/.test(status), `status: ${status}`);
  });

  await check("the finding is underlined at its exact span, with its message on hover", async () => {
    const ranges = await page.$$eval(".cm-lintRange-warning", (els) => els.map((e) => e.textContent).join(""));
    assert(ranges === "~/.npm", `underlined: ${JSON.stringify(ranges)}`);
    await page.hover(".cm-lintRange-warning");
    const tip = await page.waitForSelector(".cm-tooltip-lint", { timeout: TIMEOUT });
    const text = await tip.textContent();
    assert(text.includes("uses `~`, which GitLab does not expand") && text.includes("help: "), `hover: ${text}`);
  });

  await check("the list gives severity, rule (linked to its page), message and help", async () => {
    const li = await page.$("#findings li.finding");
    const href = await li.$eval("a.rule", (a) => a.href);
    assert(href.endsWith("/rules/cache-path-outside-project.md"), `link ${href}`);
    const help = await li.$eval(".help", (e) => e.textContent);
    assert(help.startsWith("help: "), `help ${help}`);
  });

  await check("clicking the finding selects its span in the editor", async () => {
    await page.click("#findings li.finding .msg");
    const selected = await page.evaluate(() => document.getSelection().toString());
    assert(selected === "~/.npm", `selected ${JSON.stringify(selected)}`);
  });

  await check("typing the fix over the selection makes the finding go", async () => {
    await edited(page, () => page.keyboard.type(".npm/"));
    await waitFindings(page, []);
    await page.waitForSelector("#findings li.none", { timeout: TIMEOUT });
    assert((await page.$$(".cm-lintRange")).length === 0, "no underline left");
    assert((await editorText(page)).includes("- .npm/"), "the edit is in the editor");
  });

  await check("an added file is included: a cross-file extends is resolved and its finding is in that file", async () => {
    nextAnswer = "ci/common.yml";
    await page.click("#add-file");
    await page.waitForSelector('#tabs .tab.on[data-path="ci/common.yml"]', { timeout: TIMEOUT });
    await edited(page, () => replaceText(page, ".npm:\n  cache:\n    key: npm\n    paths: [/root/.npm]\n"));
    await page.click('#tabs .tab[data-path=".gitlab-ci.yml"]');
    await edited(page, () => replaceText(page, "include: ci/common.yml\n\nbuild:\n  extends: .npm\n  script: [npm ci --cache .npm]\n"));
    await waitFindings(page, ["warning cache-path-outside-project ci/common.yml:4"]);
  });

  await check("the second view shows the effective configuration and origins of the job under the cursor", async () => {
    await page.click(".cm-content .cm-line >> nth=4"); // `  script:` of build
    await page.waitForSelector('#show-job[data-job="build"]', { timeout: TIMEOUT });
    const effective = await page.textContent("#show");
    assert(effective.includes("/root/.npm") && effective.includes("npm ci --cache .npm"), `effective: ${effective}`);
    await page.click('.view-tabs button[data-view="origins"]');
    const origins = await page.textContent("#show");
    assert(origins.startsWith("build (") && origins.includes("ci/common.yml"), `origins: ${origins}`);
  });

  await check("the shared link restores the same files and findings in a new page", async () => {
    await page.waitForFunction(() => location.hash.startsWith("#files="), null, { timeout: TIMEOUT });
    await page.waitForTimeout(300); // the fragment is written after each lint
    const link = page.url();
    const before = await findings(page);
    const shared = await open(link);
    const tabs = await shared.$$eval("#tabs .tab", (ts) => ts.map((t) => t.dataset.path));
    assert(JSON.stringify(tabs) === '[".gitlab-ci.yml","ci/common.yml"]', `tabs ${tabs}`);
    await waitFindings(shared, before);
    const root = await editorText(shared);
    assert(root.startsWith("include: ci/common.yml\n\nbuild:"), `root: ${root}`);
    await shared.click('#tabs .tab[data-path="ci/common.yml"]');
    assert((await editorText(shared)).includes("paths: [/root/.npm]"), "ci/common.yml restored");
    // The screenshot of the README: the finding in the included file, underlined.
    await shared.click("#findings li.finding .msg");
    await shared.mouse.move(0, 0);
    if (screenshot) await shared.screenshot({ path: screenshot });
    page = shared;
  });

  await check("a damaged fragment starts the page with the starter configuration", async () => {
    const damaged = await open(origin + "/#files=not-deflate");
    assert((await editorText(damaged)).includes("Paste or type"), "starter text");
    await damaged.close();
  });

  await check("the Examples menu loads a rule page's failing example", async () => {
    await edited(page, () => page.selectOption("#examples", "cache-key-collision"));
    await page.waitForSelector('#findings li.finding[data-rule="cache-key-collision"]', { timeout: TIMEOUT });
  });

  await check("a GitHub Actions example: the workflow's finding, in the workflow's file", async () => {
    await edited(page, () => page.selectOption("#examples", "gha-save-always-deprecated"));
    await page.waitForSelector(
      '#findings li.finding[data-rule="gha-save-always-deprecated"][data-file=".github/workflows/ci.yml"]',
      { timeout: TIMEOUT },
    );
  });

  await check("nothing left the page: every request was for the site's own files, no script error", async () => {
    const foreign = requests.filter((u) => !u.startsWith(origin + "/"));
    assert(foreign.length === 0, `requests elsewhere: ${foreign.join(", ")}`);
    assert(served.includes("/cachelint.wasm"), "the module came from the site");
    assert(pageErrors.length === 0, `page errors: ${pageErrors.join("; ")}`);
  });
} catch {
  // Reported by check(); the checks after a failure depend on it and are not run.
} finally {
  await browser.close();
  server.close();
}
console.log(`browser test took ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
