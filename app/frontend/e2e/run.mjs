// End-to-end test in a real browser: Debian's chromium driven by playwright-core against a
// running webui + vecpipe (tests/frontend/test_browser_e2e.py starts them and sets the env).
//
// Env: SEMANTIK_E2E_URL (webui base URL), SEMANTIK_E2E_USER / SEMANTIK_E2E_PASSWORD (an admin),
// SEMANTIK_E2E_FOLDER (folder under the documents root to index), SEMANTIK_E2E_QUERY and
// SEMANTIK_E2E_EXPECT (a path the top hit must be, and text the opened document must contain:
// "path|text"), SEMANTIK_E2E_SCREENSHOTS (where the PNGs go), CHROMIUM (default /usr/bin/chromium).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

function need(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`e2e: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

const base = need("SEMANTIK_E2E_URL").replace(/\/$/, "");
const username = need("SEMANTIK_E2E_USER");
const password = need("SEMANTIK_E2E_PASSWORD");
const folder = need("SEMANTIK_E2E_FOLDER");
const query = need("SEMANTIK_E2E_QUERY");
const [expectPath, expectText] = need("SEMANTIK_E2E_EXPECT").split("|");
const shots = need("SEMANTIK_E2E_SCREENSHOTS");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const collection = `e2e-${Date.now().toString(36)}`;
const INDEX_TIMEOUT_MS = Number(process.env.SEMANTIK_E2E_INDEX_TIMEOUT_MS || 180_000);

// Without the background-networking flags Chromium floods a closed network with connections.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

mkdirSync(shots, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "semantik-e2e-profile-"));
let step = "start";
let shotNo = 0;

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

async function shot(page, name) {
  shotNo += 1;
  const file = join(shots, `${String(shotNo).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

/** Follows a link of the main navigation. */
async function nav(name) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
}

async function run(name, fn) {
  step = name;
  const started = Date.now();
  await fn();
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: FLAGS,
  viewport: { width: 1280, height: 860 },
  acceptDownloads: true,
});
const page = context.pages()[0] ?? (await context.newPage());
const consoleErrors = [];
page.on("console", (msg) => {
  // 401s during the refresh test are expected network errors, not app errors.
  if (msg.type() === "error" && !/401|Unauthorized/.test(msg.text())) consoleErrors.push(msg.text());
});
page.on("pageerror", (err) => consoleErrors.push(String(err)));
// Job progress must arrive over the SSE stream, not only by the polling fallback.
const sseStatuses = [];
page.on("response", (r) => {
  if (/\/api\/jobs\/\d+\/events$/.test(new URL(r.url()).pathname)) sseStatuses.push(r.status());
});

try {
  await run("login page loads; a wrong password is refused", async () => {
    await page.goto(`${base}/`);
    await page.getByLabel("User name").fill(username);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    await shot(page, "login-refused");
  });

  await run("every form field has a label", async () => {
    const unlabeled = await page.$$eval("input, select", (els) =>
      els.filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")).length,
    );
    assert(unlabeled === 0, `${unlabeled} form fields without a label`);
  });

  await run("sign in", async () => {
    await page.getByLabel("Password").fill(password);
    await page.getByLabel("Password").press("Enter");
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    assert((await page.getByRole("heading", { level: 1 }).textContent()) === "Search", "lands on search");
  });

  await run("skip link is the first stop for the keyboard", async () => {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement?.textContent);
    assert(focused === "Skip to content", `first Tab focused ${JSON.stringify(focused)}`);
  });

  await run("create a collection from a folder", async () => {
    await nav("Collections");
    await page.getByLabel("Name").fill(collection);
    await page.getByRole("button", { name: folder, exact: false }).first().click();
    await page.getByText(`Chosen: ${folder}`).waitFor();
    await shot(page, "create-collection");
    await page.getByRole("button", { name: "Create and index" }).click();
    await page.waitForURL(/#\/jobs\/\d+/);
  });

  await run("watch it index (live progress)", async () => {
    await page.getByRole("progressbar").waitFor();
    await shot(page, "indexing");
    const status = page.locator(".job-progress .status");
    await status.filter({ hasText: /^(Finished|Failed|Cancelled|Interrupted)/ }).waitFor({
      timeout: INDEX_TIMEOUT_MS,
    });
    const text = await status.textContent();
    assert(text?.startsWith("Finished"), `job ended as ${JSON.stringify(text)}`);
    const count = async (label) =>
      Number(await page.locator(".counts div", { has: page.locator(`dt:text-is("${label}")`) }).locator("dd").textContent());
    const found = await count("Files found");
    const chunks = await count("New chunks");
    const failed = await count("Failed");
    assert(found > 0 && chunks > 0, `found ${found} files, ${chunks} chunks`);
    // The fixture folder holds one file that cannot be indexed: its error must be listed.
    if (failed > 0) {
      await page.locator(".file-errors li").first().waitFor();
    }
    console.log(`  indexed: ${found} files, ${chunks} chunks, ${failed} failed`);
    assert(sseStatuses.includes(200), `progress stream answered ${JSON.stringify(sseStatuses)}`);
    await page.locator(".pace", { hasText: /elapsed · [\d.]+ files\/s/ }).waitFor();
    await shot(page, "indexed");
  });

  await run("the collection is listed as indexed", async () => {
    await nav("Collections");
    const item = page.locator("li.collection", { has: page.getByRole("heading", { name: collection }) });
    await item.waitFor();
    await item.locator(".badge", { hasText: /Ready|Indexed with errors/ }).waitFor();
    await shot(page, "collections");
  });

  await run("search it: one result per document, titled, with the answer", async () => {
    await nav("Search");
    await page.getByLabel("Search your documents").fill(query);
    await page.getByRole("checkbox", { name: collection }).check();
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const first = page.getByRole("article").first();
    await first.waitFor();
    const path = await first.locator(".path").textContent();
    assert(path === expectPath, `top hit is ${path}, expected ${expectPath}`);
    assert((await first.locator("mark").count()) > 0, "the snippet highlights the query's words");
    assert((await first.locator(".snippet .answer").count()) === 1, "the answer passage is marked");
    assert((await first.locator(".strength").textContent())?.endsWith("match"), "match strength shown");
    const title = await first.locator(".result-title button").textContent();
    assert(title && title !== expectPath.split("/").pop(), `heading is the title, not the file name: ${title}`);
    const paths = await page.locator("article .path").allTextContents();
    assert(new Set(paths).size === paths.length, `a document appears twice: ${paths}`);
    await shot(page, "search-results");
  });

  await run("more passages of a document expand", async () => {
    const more = page.locator("details.more-passages summary").first();
    if (await more.count()) {
      await more.click();
      await page.locator("details.more-passages[open] .snippet").first().waitFor();
    }
  });

  await run("exact-word search finds the one document with the word", async () => {
    await page.getByLabel("Search your documents").fill("waggle");
    await page.getByLabel("Match").selectOption("keyword");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.waitForURL(/m=keyword/);
    await page.getByText(/^1 document match/).waitFor();
    const path = await page.getByRole("article").first().locator(".path").textContent();
    assert(path === expectPath, `keyword hit is ${path}`);
    await page.getByLabel("Match").selectOption("");
  });

  await run("nonsense finds no good match instead of noise", async () => {
    await page.getByLabel("Search your documents").fill("xyzzy plugh frobnicate");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByText(/^No good match for/).waitFor();
    assert((await page.getByRole("article").count()) === 0, "no results listed");
    await shot(page, "no-good-match");
  });

  await run("pages: More results adds the next documents", async () => {
    const url = new URL(page.url());
    const params = new URLSearchParams(url.hash.split("?")[1]);
    params.set("q", "when is high tide at the harbour");
    params.set("n", "2");
    await page.goto(`${base}/#/search?${params.toString()}`);
    await page.getByRole("article").first().waitFor();
    assert((await page.getByRole("article").count()) === 2, "a page of two");
    await page.getByRole("button", { name: "More results" }).click();
    await page.getByRole("article").nth(2).waitFor();
    const paths = await page.locator("article .path").allTextContents();
    assert(paths.length > 2 && new Set(paths).size === paths.length, `pages overlap: ${paths}`);
    assert(paths.every((p) => p.includes("/tides/")), `off-topic documents listed: ${paths}`);
    await shot(page, "more-results");
  });

  await run("preview: the document as text, scrolled to the highlighted answer; a shareable link", async () => {
    await page.getByLabel("Search your documents").fill(query);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const first = page.getByRole("article").first();
    await first.locator(".path", { hasText: expectPath }).waitFor();
    await first.locator(".result-title button").click();
    const panel = page.getByRole("dialog");
    const answer = panel.locator("mark.answer");
    await answer.waitFor();
    const text = await panel.locator(".preview-text").textContent();
    assert(text?.includes(expectText), `preview does not contain ${JSON.stringify(expectText)}`);
    assert(await answer.isVisible(), "the answer is scrolled into view");
    await shot(page, "preview");
    const link = await panel.getByRole("link", { name: "Link to this passage" }).getAttribute("href");
    assert(link && /doc=/.test(link) && /at=\d+-\d+/.test(link), `share link ${link}`);
    // Another tab holds no session (tokens live in sessionStorage): it signs in, then lands on
    // the same document scrolled to the same passage.
    const other = await context.newPage();
    await other.goto(link);
    await other.getByLabel("User name").fill(username);
    await other.getByLabel("Password").fill(password);
    await other.getByRole("button", { name: "Sign in" }).click();
    await other.getByRole("dialog").locator("mark.answer").waitFor();
    assert(
      (await other.getByRole("dialog").locator("mark.answer").textContent()) === (await answer.textContent()),
      "the link shows the same passage",
    );
    await other.close();
    await panel.getByRole("button", { name: /^Close/ }).click();
    await panel.waitFor({ state: "detached" });
  });

  await run("an HTML document previews as clean text, not markup", async () => {
    const search = async (q) => {
      await page.getByLabel("Search your documents").fill(q);
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await page.waitForURL((u) => new URLSearchParams(u.hash.split("?")[1]).get("q") === q);
    };
    await search("Fresnel lens beam for ships at night");
    const hit = page.getByRole("article").filter({ has: page.locator(".path", { hasText: /\.html$/ }) }).first();
    await hit.waitFor();
    await hit.getByRole("button", { name: /^Preview/ }).click();
    const text = page.getByRole("dialog").locator(".preview-text");
    await text.waitFor();
    const body = await text.textContent();
    assert(body?.includes("Fresnel") && !/<\/?[a-z]+[ >]/i.test(body), "preview shows HTML tags");
    await page.getByRole("dialog").getByRole("button", { name: /^Close/ }).click();
    await search(query);
    await page.getByRole("article").first().locator(".path", { hasText: expectPath }).waitFor();
  });

  await run("download the top result", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("article").first().getByRole("button", { name: /^Download/ }).click(),
    ]);
    assert(download.suggestedFilename() === expectPath.split("/").pop(), `downloaded ${download.suggestedFilename()}`);
  });

  await run("usable on a phone: first result in view after a search, no sideways scrolling", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByLabel("Search your documents").fill(query);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const first = page.getByRole("article").first();
    await first.waitFor();
    // The app scrolls the results into view once the search answers.
    const inView = await page
      .waitForFunction(() => {
        const top = document.querySelector("article")?.getBoundingClientRect().top;
        return top !== undefined && top >= 0 && top < window.innerHeight - 60;
      }, null, { timeout: 10_000 })
      .then(() => true, () => false);
    const box = await first.boundingBox();
    assert(inView, `first result at y=${box?.y}, not in view`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
    await shot(page, "phone-search");
    await first.locator(".result-title button").click();
    const panel = page.getByRole("dialog");
    await panel.locator("mark.answer").waitFor();
    const pbox = await panel.boundingBox();
    assert(pbox && pbox.width >= 389 && pbox.height >= 843, `preview is not full screen: ${JSON.stringify(pbox)}`);
    await shot(page, "phone-preview");
    await panel.getByRole("button", { name: /^Close/ }).click();
    await page.emulateMedia({ colorScheme: "dark" });
    await shot(page, "phone-search-dark");
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await run("an admin adds a user and disables it", async () => {
    const reader = `reader-${Date.now().toString(36)}`;
    await nav("Users");
    await page.getByLabel("User name").fill(reader);
    await page.getByLabel("Password", { exact: true }).fill("reader-password-123");
    await page.getByRole("button", { name: "Add user" }).click();
    const row = page.getByRole("row", { name: new RegExp(reader) });
    await row.waitFor();
    await row.getByRole("button", { name: `Disable ${reader}` }).click();
    await row.getByRole("cell", { name: "Disabled" }).waitFor();
    await shot(page, "users");
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `users page is ${overflow}px wider than the phone screen`);
    await shot(page, "phone-users");
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  await run("about shows the model and device", async () => {
    await nav("About");
    await page.getByRole("heading", { name: "Search engine" }).waitFor();
    const text = await page.locator("main").textContent();
    assert(/MiniLM/i.test(text ?? ""), "about names the model");
    assert(/cpu|cuda/i.test(text ?? ""), "about names the device");
    await shot(page, "about");
  });

  await run("an expired access token is refreshed without a new sign-in", async () => {
    const before = await page.evaluate(() => JSON.parse(sessionStorage.getItem("semantik.tokens")));
    await page.evaluate(() => {
      const t = JSON.parse(sessionStorage.getItem("semantik.tokens"));
      t.access_token = "expired.or.forged";
      sessionStorage.setItem("semantik.tokens", JSON.stringify(t));
    });
    await page.reload();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem("semantik.tokens")));
    assert(after.refresh_token !== before.refresh_token, "the refresh token was rotated");
  });

  await run("a revoked session leads back to the sign-in page", async () => {
    // Sign this session out behind the app's back (as a password change elsewhere would):
    // its next call gets 401, the refresh is refused, and the app asks to sign in again.
    const tokens = await page.evaluate(() => JSON.parse(sessionStorage.getItem("semantik.tokens")));
    const response = await fetch(`${base}/api/auth/logout`, {
      method: "POST",
      headers: { Authorization: `Bearer ${tokens.access_token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
    assert(response.status === 204, `logout answered ${response.status}`);
    await nav("Collections");
    await page.getByText("Your session has ended. Please sign in again.").waitFor();
    await shot(page, "session-ended");
  });

  await run("sign in again, delete the collection, sign out", async () => {
    await page.getByLabel("User name").fill(username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    await nav("Collections");
    await page.getByRole("button", { name: `Delete ${collection}` }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.getByRole("heading", { name: collection }).waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You have signed out.").waitFor();
  });

  assert(consoleErrors.length === 0, `browser console errors: ${consoleErrors.join(" | ")}`);
  console.log(`e2e: all steps passed; screenshots in ${shots}`);
} catch (err) {
  console.error(`FAIL ${step}: ${err?.stack ?? err}`);
  if (consoleErrors.length) console.error(`browser console errors: ${consoleErrors.join(" | ")}`);
  await page.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => {});
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
