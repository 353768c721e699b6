// Builds the playground's page into a folder: `node build.mjs OUT PKG`, where PKG is
// wasm-bindgen's output (`--target web`). scripts/build-playground.sh runs it; see
// docs/playground.md. Writes OUT/index.html, app.js, style.css, cachelint.wasm.
//
// The Examples menu is generated here from the rule pages (rules/*.md): each page's failing
// example, its `file=` blocks as extra files, as tests/rule_docs.rs reads them.
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const [out, pkg] = process.argv.slice(2).map((p) => p && resolve(p));
if (!out || !pkg) {
  console.error("usage: node build.mjs OUT PKG");
  process.exit(2);
}

/** `[{rule, summary, files: [[path, text], ...]}]`, one per rule page with a failing example. */
function examples() {
  const dir = join(repo, "rules");
  const list = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".md")).sort()) {
    const page = readFileSync(join(dir, name), "utf8");
    const summary = (page.match(/^summary: (.*)$/m) || [])[1] || "";
    const files = [];
    for (const m of page.matchAll(/^```(?:yaml|text) failing(?: file=(\S+))?\n([\s\S]*?)^```$/gm)) {
      files.push([m[1] || ".gitlab-ci.yml", m[2]]);
    }
    // A root first (`.gitlab-ci.yml`, else a GitHub Actions workflow), as the page's tabs
    // start with it.
    const rank = (p) => (p === ".gitlab-ci.yml" ? 0 : p.startsWith(".github/workflows/") ? 1 : 2);
    files.sort((a, b) => rank(a[0]) - rank(b[0]));
    if (files.some(([p]) => rank(p) < 2)) {
      list.push({ rule: name.replace(/\.md$/, ""), summary, files });
    }
  }
  if (list.length === 0) throw new Error("no failing example found in rules/*.md");
  return list;
}

// Rule pages are linked where the CLI's reports link them (Cargo.toml's `repository`).
const cargo = readFileSync(join(repo, "Cargo.toml"), "utf8");
const repository = (cargo.match(/^repository = "([^"]+)"/m) || [])[1];
if (!repository) throw new Error("Cargo.toml has no repository");

mkdirSync(out, { recursive: true });
const version = (cargo.match(/^version = "([^"]+)"/m) || [])[1];
await esbuild.build({
  entryPoints: [join(here, "src/main.js")],
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2022"],
  outfile: join(out, "app.js"),
  alias: { "cachelint-wasm": join(pkg, "cachelint_playground.js") },
  define: {
    EXAMPLES: JSON.stringify(examples()),
    RULE_BASE: JSON.stringify(`${repository.replace(/\/$/, "")}/-/blob/main/rules/`),
    VERSION: JSON.stringify(version),
  },
  logLevel: "warning",
});
copyFileSync(join(pkg, "cachelint_playground_bg.wasm"), join(out, "cachelint.wasm"));
copyFileSync(join(here, "src/style.css"), join(out, "style.css"));
writeFileSync(join(out, "index.html"), readFileSync(join(here, "src/index.html"), "utf8"));
