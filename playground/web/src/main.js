// The playground's page (docs/playground.md): a CodeMirror 6 editor with one tab per file, the
// findings of cachelint compiled to WebAssembly, the effective configuration and origins of the
// job under the cursor, and the files kept in the URL fragment. Nothing leaves the page.
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { yaml } from "@codemirror/lang-yaml";
import { setDiagnostics, lintGutter } from "@codemirror/lint";
import init, { lint, show } from "cachelint-wasm";

/* global EXAMPLES, RULE_BASE, VERSION -- defined by build.mjs */
const ROOT = ".gitlab-ci.yml";
const LINT_DELAY = 200; // ms after the last keystroke
const STARTER = `# Paste or type a GitLab CI configuration; findings appear as you type.
stages: [build, test]

.node:
  image: node:22
  cache:
    key: npm
    paths:
      - ~/.npm

build:
  extends: .node
  stage: build
  script:
    - npm ci
    - npm run build
`;

const $ = (id) => document.getElementById(id);
const status = $("status");

/** The files, in tab order (the root first): `[{path, state}]`; `active` indexes it. */
let files = [];
let active = 0;
let lastReport = null; // the findings of the last lint, for the active tab's underlines
let generation = 0; // how many lints have run (`#status[data-generation]`, for tests)
let view;

// ---- the fragment: `#files=` + base64url(deflate-raw(UTF-8 JSON [[path, text], ...])) ------
const FRAGMENT = "files=";

function toBase64url(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  const b = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

async function through(stream, bytes) {
  const piped = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}

export async function encodeFragment(pairs) {
  const json = new TextEncoder().encode(JSON.stringify(pairs));
  return FRAGMENT + toBase64url(await through(new CompressionStream("deflate-raw"), json));
}

/** The pairs a fragment holds, or null when it holds none (or is damaged). */
export async function decodeFragment(hash) {
  const body = hash.replace(/^#/, "");
  if (!body.startsWith(FRAGMENT)) return null;
  try {
    const bytes = await through(new DecompressionStream("deflate-raw"), fromBase64url(body.slice(FRAGMENT.length)));
    const pairs = JSON.parse(new TextDecoder().decode(bytes));
    const ok = Array.isArray(pairs) && pairs.every((p) => Array.isArray(p) && p.length === 2 &&
      typeof p[0] === "string" && typeof p[1] === "string");
    return ok && pairs.length > 0 ? pairs : null;
  } catch {
    return null;
  }
}

// ---- files and tabs ------------------------------------------------------------------------

function newState(text) {
  return EditorState.create({
    doc: text,
    extensions: [
      basicSetup,
      yaml(),
      lintGutter(),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) scheduleLint();
        else if (u.selectionSet) scheduleShow();
      }),
    ],
  });
}

function pairs() {
  if (view) files[active].state = view.state;
  return files.map((f) => [f.path, f.state.doc.toString()]);
}

function setFiles(list, open = 0) {
  files = list.map(([path, text]) => ({ path, state: newState(text) }));
  active = Math.min(open, files.length - 1);
  view.setState(files[active].state);
  renderTabs();
  lintNow();
}

function openTab(i) {
  if (i === active) return;
  files[active].state = view.state;
  active = i;
  view.setState(files[i].state);
  renderTabs();
  underline();
  scheduleShow();
}

function nextFreeName() {
  for (let n = 1; ; n++) {
    const name = n === 1 ? "ci/common.yml" : `ci/common-${n}.yml`;
    if (!files.some((f) => f.path === name)) return name;
  }
}

function addFile() {
  const name = (prompt("Name of the new file (as an include would give it):", nextFreeName()) || "")
    .trim().replace(/^\/+/, "");
  if (!name) return;
  if (files.some((f) => f.path === name)) {
    openTab(files.findIndex((f) => f.path === name));
    return;
  }
  files[active].state = view.state;
  files.push({ path: name, state: newState("") });
  openTab(files.length - 1);
  lintNow();
}

function removeFile(i) {
  if (i === 0) return; // the root stays
  files[active].state = view.state;
  files.splice(i, 1);
  active = i <= active ? Math.max(0, active - 1) : active;
  view.setState(files[active].state);
  renderTabs();
  lintNow();
}

function renderTabs() {
  const tabs = $("tabs");
  tabs.replaceChildren();
  files.forEach((f, i) => {
    const tab = document.createElement("button");
    tab.type = "button";
    tab.className = "tab" + (i === active ? " on" : "");
    tab.dataset.path = f.path;
    tab.textContent = f.path;
    tab.onclick = () => openTab(i);
    if (i > 0) {
      const close = document.createElement("span");
      close.className = "close";
      close.title = `remove ${f.path}`;
      close.textContent = "×";
      close.onclick = (e) => {
        e.stopPropagation();
        removeFile(i);
      };
      tab.append(close);
    }
    tabs.append(tab);
  });
  const add = document.createElement("button");
  add.type = "button";
  add.className = "add";
  add.id = "add-file";
  add.textContent = "+ add file";
  add.onclick = addFile;
  tabs.append(add);
}

// ---- linting -------------------------------------------------------------------------------

let lintTimer = 0;
function scheduleLint() {
  clearTimeout(lintTimer);
  lintTimer = setTimeout(lintNow, LINT_DELAY);
}

/** A 1-based line and column in characters (docs/json-format.md) as a CodeMirror offset. */
function offset(doc, line, column) {
  if (line > doc.lines) return doc.length;
  const l = doc.line(Math.max(1, line));
  let pos = 0;
  let chars = 1;
  for (const ch of l.text) {
    if (chars >= column) break;
    pos += ch.length;
    chars++;
  }
  return l.from + pos;
}

function underline() {
  const f = files[active];
  const doc = view.state.doc;
  const diagnostics = (lastReport?.findings || [])
    .filter((d) => d.path === f.path)
    .map((d) => {
      const from = offset(doc, d.line, d.column);
      const to = Math.max(from, offset(doc, d.end_line, d.end_column));
      return {
        from,
        to,
        severity: d.severity === "info" ? "info" : d.severity,
        source: d.rule,
        message: d.help ? `${d.message}\nhelp: ${d.help}` : d.message,
      };
    });
  view.dispatch(setDiagnostics(view.state, diagnostics));
}

function jumpTo(d) {
  const i = files.findIndex((f) => f.path === d.path);
  if (i < 0) return;
  openTab(i);
  const doc = view.state.doc;
  const from = offset(doc, d.line, d.column);
  const to = Math.max(from, offset(doc, d.end_line, d.end_column));
  view.dispatch({ selection: { anchor: from, head: to }, scrollIntoView: true });
  view.focus();
}

function renderFindings(report, error) {
  const list = $("findings");
  list.replaceChildren();
  if (error) {
    const li = document.createElement("li");
    li.className = "load-error";
    li.textContent = error;
    list.append(li);
    return;
  }
  if (report.findings.length === 0) {
    const li = document.createElement("li");
    li.className = "none";
    li.textContent = "No findings.";
    list.append(li);
  }
  for (const d of report.findings) {
    const li = document.createElement("li");
    li.className = "finding";
    // The testing contract (docs/playground.md): what a test reads, whatever the widget.
    li.dataset.rule = d.rule;
    li.dataset.severity = d.severity;
    li.dataset.file = d.path;
    li.dataset.line = String(d.line);
    li.dataset.column = String(d.column);
    const sev = Object.assign(document.createElement("span"), { className: "sev", textContent: d.severity });
    const rule = Object.assign(document.createElement("a"), {
      className: "rule",
      href: RULE_BASE + d.rule + ".md",
      target: "_blank",
      rel: "noopener noreferrer",
      textContent: d.rule,
    });
    const loc = Object.assign(document.createElement("span"), {
      className: "loc",
      textContent: `${d.path}:${d.line}:${d.column}`,
    });
    const msg = Object.assign(document.createElement("div"), { className: "msg", textContent: d.message });
    li.append(sev, rule, loc, msg);
    if (d.help) {
      li.append(Object.assign(document.createElement("div"), { className: "help", textContent: `help: ${d.help}` }));
    }
    li.onclick = (e) => {
      if (e.target.closest("a")) return;
      jumpTo(d);
    };
    li.tabIndex = 0; // reachable with the keyboard: Enter jumps too
    li.onkeydown = (e) => {
      if (e.key === "Enter" && !e.target.closest("a")) jumpTo(d);
    };
    list.append(li);
  }
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function lintNow() {
  clearTimeout(lintTimer);
  const current = pairs();
  const input = JSON.stringify(Object.fromEntries(current));
  const started = performance.now();
  let report = null;
  let error = null;
  try {
    report = JSON.parse(lint(input));
  } catch (e) {
    error = String(e);
  }
  const ms = performance.now() - started;
  lastReport = report;
  generation++;
  renderFindings(report, error);
  underline();
  if (error) {
    status.className = "failed";
    status.dataset.count = "";
    status.textContent = `cannot lint: ${error}`;
  } else {
    const s = report.summary;
    const parts = [];
    if (s.errors) parts.push(plural(s.errors, "error"));
    if (s.warnings) parts.push(plural(s.warnings, "warning"));
    if (s.infos) parts.push(`${s.infos} info`);
    status.className = "";
    status.dataset.count = String(report.findings.length);
    status.textContent = `${report.findings.length === 0 ? "no findings" : parts.join(", ")} in ` +
      `${plural(s.files.length, "file")}, ${ms.toFixed(1)} ms · cachelint ${VERSION}`;
  }
  status.dataset.generation = String(generation);
  shownFor = null;
  showNow();
  saveFragment(current);
}

// ---- effective configuration and origins of the job under the cursor -------------------------

let showTimer = 0;
let shownFor = null;
let viewMode = "effective";
let lastShow = null;

function scheduleShow() {
  clearTimeout(showTimer);
  showTimer = setTimeout(showNow, 120);
}

/** The top-level key whose block holds the cursor in the active file, if any. */
function jobUnderCursor() {
  const doc = view.state.doc;
  let n = doc.lineAt(view.state.selection.main.head).number;
  for (; n >= 1; n--) {
    const m = doc.line(n).text.match(/^(?:"([^"]+)"|'([^']+)'|([^\s#"'-][^:#]*?))\s*:(?:\s|$)/);
    if (m) return m[1] ?? m[2] ?? m[3];
  }
  return null;
}

function showNow() {
  clearTimeout(showTimer);
  const job = jobUnderCursor();
  const key = job ?? "";
  if (shownFor === key && lastShow) return;
  shownFor = key;
  try {
    lastShow = JSON.parse(show(JSON.stringify(Object.fromEntries(pairs())), job ?? undefined));
  } catch (e) {
    lastShow = { error: String(e) };
  }
  renderShow();
}

function renderShow() {
  const out = $("show");
  const label = $("show-job");
  if (!lastShow) return;
  if (lastShow.error) {
    label.textContent = "";
    out.textContent = lastShow.error;
    return;
  }
  label.textContent = lastShow.job ? `job: ${lastShow.job}` : "all jobs (put the cursor in a job)";
  label.dataset.job = lastShow.job ?? "";
  out.dataset.view = viewMode;
  out.textContent = viewMode === "effective" ? lastShow.effective : lastShow.origins || "(no jobs)";
}

for (const b of document.querySelectorAll(".view-tabs button")) {
  b.onclick = () => {
    viewMode = b.dataset.view;
    for (const o of document.querySelectorAll(".view-tabs button")) o.classList.toggle("on", o === b);
    renderShow();
  };
}

// ---- share ---------------------------------------------------------------------------------

let saving = Promise.resolve();
function saveFragment(current) {
  saving = saving.then(async () => {
    const fragment = await encodeFragment(current);
    history.replaceState(null, "", "#" + fragment);
  }).catch(() => {});
}

$("share").onclick = async () => {
  await saving;
  const url = location.href;
  try {
    await navigator.clipboard.writeText(url);
    status.textContent = "link copied: it holds the files, compressed; nothing is uploaded";
  } catch {
    prompt("Copy this link (it holds the files, compressed):", url);
  }
};

// ---- examples ------------------------------------------------------------------------------

const examples = $("examples");
for (const ex of EXAMPLES) {
  const o = document.createElement("option");
  o.value = ex.rule;
  o.textContent = ex.rule;
  o.title = ex.summary;
  examples.append(o);
}
examples.onchange = () => {
  const ex = EXAMPLES.find((e) => e.rule === examples.value);
  if (ex) setFiles(ex.files);
  examples.value = "";
};

// ---- start ---------------------------------------------------------------------------------

window.addEventListener("hashchange", async () => {
  const restored = await decodeFragment(location.hash);
  if (restored && JSON.stringify(restored) !== JSON.stringify(pairs())) setFiles(restored);
});

async function start() {
  await init({ module_or_path: new URL("cachelint.wasm", document.baseURI) });
  const restored = await decodeFragment(location.hash);
  view = new EditorView({ parent: $("editor") });
  setFiles(restored ?? [[ROOT, STARTER]]);
  document.body.dataset.ready = "true";
}

start().catch((e) => {
  status.className = "failed";
  status.textContent = `the playground could not start: ${e}`;
});
