// Records which sources the committed build in app/semantik/webui/static was made from, so a
// test can tell when the build is stale. `write` runs after `vite build`; `check` compares.
//
// The digest: for every source file (sorted relative POSIX paths) the line
// "<path>\0<sha256 of its bytes>\n"; the sha256 of all those lines together. Unit tests
// (*.test.ts(x), src/test/) are left out: they do not change the build.
// tests/frontend/test_build_stamp.py computes the same digest in Python, so CI needs no Node.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL("..", import.meta.url));
const STAMP = join(here, "..", "semantik", "webui", "static", "build-info.json");
const ROOT_FILES = ["index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts"];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

function isTest(path) {
  return /\.test\.tsx?$/.test(path) || path.startsWith("src/test/");
}

export function sourceFiles() {
  const src = walk(join(here, "src")).map((f) => relative(here, f).split(sep).join("/"));
  return [...ROOT_FILES, ...src.filter((p) => !isTest(p))].sort();
}

export function sourceDigest() {
  const lines = sourceFiles().map((p) => {
    const digest = createHash("sha256").update(readFileSync(join(here, p))).digest("hex");
    return `${p}\0${digest}\n`;
  });
  return createHash("sha256").update(lines.join("")).digest("hex");
}

const mode = process.argv[2];
const version = JSON.parse(readFileSync(join(here, "package.json"), "utf8")).version;
if (mode === "write") {
  const info = { name: "semantik-frontend", version, source_sha256: sourceDigest() };
  writeFileSync(STAMP, `${JSON.stringify(info, null, 2)}\n`);
  console.log(`stamped ${relative(process.cwd(), STAMP)}: ${info.source_sha256}`);
} else if (mode === "check") {
  let recorded = null;
  try {
    recorded = JSON.parse(readFileSync(STAMP, "utf8")).source_sha256;
  } catch {
    /* no stamp: stale */
  }
  const actual = sourceDigest();
  if (recorded !== actual) {
    console.error(`frontend build is stale (built from ${recorded}, sources are ${actual}): run make frontend`);
    process.exit(1);
  }
  console.log("frontend build matches its sources");
} else {
  console.error("usage: stamp.mjs write|check");
  process.exit(2);
}
