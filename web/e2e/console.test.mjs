// The console in a real browser: Debian's headless Chromium driven by Playwright against a
// real `remise serve` (started by tests/tests/console.rs, which passes its address, keys and
// the plugin to upload in the environment). The browser asks for French, as the retailers'
// marketing teams' do: the console answers in French, money as "11,88 €"; one test switches
// it to English and back. Screenshots of each main page go to $REMISE_SCREENSHOTS. Every
// Content Security Policy violation of any page is collected, and none may happen.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run this through cargo test -p remise-tests --test console`,
    );
  return value;
};
const BASE = env("REMISE_URL");
const KEYS = {
  marketing: env("REMISE_MARKETING_KEY"),
  ops: env("REMISE_OPS_KEY"),
  channel: env("REMISE_CHANNEL_KEY"),
  admin: env("REMISE_ADMIN_KEY"),
};
const UPLOAD = env("REMISE_UPLOAD_WASM");
const SHOTS = env("REMISE_SCREENSHOTS");
const CHROMIUM = process.env.REMISE_CHROMIUM || "/usr/bin/chromium";
const WAIT = { timeout: 15_000 };
/** Euros as French Intl writes them: a no-break space before €, narrow ones in thousands. */
const NBSP = "\u00a0";

let browser;
let page;
const downloaded = [];
/** What the browser said about the Content Security Policy: each violation, on any page. */
const policyProblems = [];

/** Calls the API directly, as a channel or an admin would, outside the browser. */
async function api(method, path, key, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function shot(name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(key) {
  await page.goto(BASE + "/");
  await page.fill("input[name=key]", key);
  await page.click("button[type=submit]");
}

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
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
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    locale: "fr-FR",
  });
  // Every page reports a Content Security Policy violation on its console, where the
  // browser also writes the scripts it refused to run (eval, new Function).
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) =>
      console.error(
        `CSP violation: ${event.violatedDirective} refused ${event.blockedURI || "(inline)"}` +
          ` at ${event.sourceFile}:${event.lineNumber}`,
      ),
    );
  });
  page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error));
  page.on("console", (message) => {
    const text = message.text();
    if (/CSP violation|Content Security Policy|unsafe-eval|compiling schema/i.test(text)) {
      policyProblems.push(text);
    }
  });
  page.on("download", (d) => downloaded.push(d));
});

after(async () => {
  await browser?.close();
});

test("what the browser downloads to sign in is small", async () => {
  const sizes = new Map();
  const listener = async (response) => {
    const length = Number((await response.allHeaders())["content-length"] || 0);
    sizes.set(response.url(), length);
  };
  page.on("response", listener);
  await page.goto(BASE + "/");
  await page.waitForSelector("input[name=key]", WAIT);
  page.off("response", listener);
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  console.log(`first load: ${sizes.size} responses, ${(total / 1024).toFixed(1)} KiB on the wire`);
  assert.ok(total > 0 && total < 200 * 1024, `first load is ${total} bytes`);
});

test("a wrong key is refused with the reason; a channel key is turned away", async () => {
  await signIn("not-a-key");
  // The browser asks for French: the console speaks it, and says so to the browser.
  assert.equal(await page.evaluate(() => document.documentElement.lang), "fr");
  await page.getByText("Cette clé est inconnue").waitFor(WAIT);
  await shot("01-sign-in");
  await signIn(KEYS.channel);
  await page.getByText("Une clé de canal sert aux caisses et aux sites").waitFor(WAIT);
});

test("marketing signs in and sees the campaigns", async () => {
  await signIn(KEYS.marketing);
  await page.getByRole("heading", { name: "Campagnes" }).waitFor(WAIT);
  // The key is in no storage in clear text and in no URL.
  const stored = await page.evaluate(
    () => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }),
  );
  assert.ok(!stored.includes(KEYS.marketing), "the key is stored encrypted only");
  assert.ok(!page.url().includes(KEYS.marketing));
  // A reload keeps the session (its key decrypted from this tab's storage).
  await page.reload();
  await page.getByRole("heading", { name: "Campagnes" }).waitFor(WAIT);
});

test("a threshold campaign is created through the generated form, with the API's field error shown", async () => {
  await page.click("text=Nouvelle campagne");
  await page.fill("input[name=id]", "ten-from-100");
  await page.fill("input[name=name]", "10 % dès 100 €");
  await page.selectOption("select[name=plugin]", "threshold-discount");
  // The parameters form comes from the plugin's JSON Schema: add a tier, fill it.
  await page
    .locator("#root_tiers")
    .getByRole("button", { name: /ajouter/i })
    .first()
    .click();
  await page.fill("#root_tiers_0_min_subtotal", "100");
  await page.fill("#root_tiers_0_percent_off", "150");
  await page.fill("input[name=budget]", "500.00");
  await page.click("button[type=submit]");
  // The API refuses a budget without its currency with a pointer; the form shows it next
  // to the currency's field.
  await page
    .locator(".field", { has: page.locator("input[name=budget_currency]") })
    .getByRole("alert")
    .getByText("missing: a budget names its ISO 4217 currency, such as EUR")
    .waitFor(WAIT);
  await page.fill("input[name=budget_currency]", "eur");
  await page.click("button[type=submit]");
  // Then percent_off 150, next to that field of the generated form.
  const fieldError = page
    .locator(".params .form-group", { has: page.locator("#root_tiers_0_percent_off") })
    .getByText("must be above 0 and at most 100");
  await fieldError.waitFor(WAIT);
  await shot("02-editor-field-error");
  await page.fill("#root_tiers_0_percent_off", "10");
  await page.click("button[type=submit]");
  await page.getByRole("heading", { name: "10 % dès 100 €" }).waitFor(WAIT);
  const stored = await api("GET", "/v1/campaigns/ten-from-100", KEYS.marketing);
  assert.deepEqual(stored.params.tiers, [{ min_subtotal: "100", percent_off: "10" }]);
  assert.equal(stored.limits.budget, "500.00");
  assert.equal(stored.limits.budget_currency, "EUR");
  assert.equal(stored.status, "draft");
});

test("the campaign is activated", async () => {
  await page.getByRole("button", { name: "Activer" }).click();
  await page.locator(".badge.active").first().waitFor(WAIT);
  assert.equal((await api("GET", "/v1/campaigns/ten-from-100", KEYS.marketing)).status, "active");
});

/** The innermost group of the parameters form around the input `id`: the field and its errors. */
const paramField = (id) =>
  page.locator(".params .rjsf-field:not(.rjsf-field-object):not(.rjsf-field-array)", {
    has: page.locator(id),
  });

test("the parameters form checks a field when it is left, in the browser, under a policy without 'unsafe-eval'", async () => {
  await page.goto(BASE + "/#/campaigns/new");
  const response = await page.reload();
  const policy = response.headers()["content-security-policy"];
  assert.ok(policy.includes("script-src 'self';"), policy);
  assert.ok(!policy.includes("unsafe-eval"), policy);
  const sent = [];
  const onRequest = (request) => request.method() !== "GET" && sent.push(request.url());
  page.on("request", onRequest);
  await page.selectOption("select[name=plugin]", "threshold-discount");
  await page
    .locator("#root_tiers")
    .getByRole("button", { name: /ajouter/i })
    .first()
    .click();
  await page.fill("#root_tiers_0_min_subtotal", "cent euros");
  // Leaving the field checks it against the plugin's schema (a decimal's pattern).
  await page.focus("#root_tiers_0_percent_off");
  const error = paramField("#root_tiers_0_min_subtotal").getByText("n'a pas la forme attendue");
  await error.waitFor(WAIT);
  await shot("12-editor-checked-in-browser");
  await page.fill("#root_tiers_0_min_subtotal", "100");
  await page.fill("#root_tiers_0_percent_off", "10");
  await page.focus("input[name=budget]");
  await error.waitFor({ state: "detached", ...WAIT });
  // A schema with an anyOf (loyalty-reward's optional birthday: a $ref into $defs, or null)
  // is matched by the same validator.
  await page.selectOption("select[name=plugin]", "loyalty-reward");
  // The Birthday branch's fields show once it is chosen (the form starts on it, empty).
  await page.locator("#root_birthday__anyof_select").selectOption({ index: 1 });
  await page.locator("#root_birthday__anyof_select").selectOption({ index: 0 });
  await page.fill("#root_birthday_window_days", "3");
  await page.focus("input[name=budget]");
  await page.fill("#root_birthday_window_days", "");
  await page.focus("input[name=budget]");
  await paramField("#root_birthday_window_days").getByText("à renseigner").waitFor(WAIT);
  page.off("request", onRequest);
  assert.deepEqual(sent, [], "nothing was sent: the browser checked the params");
  assert.deepEqual(policyProblems, []);
});

test("the API's field errors write into no prototype, whatever their pointers", async () => {
  // A 400 that a broken or hostile server could answer: pointers into prototypes beside a
  // real one.
  const errors = [
    { pointer: "/params/tiers/0/percent_off", message: "refusé par le serveur de test" },
    { pointer: "/params/__proto__/polluted", message: "p1" },
    { pointer: "/params/constructor/prototype/polluted", message: "p2" },
    { pointer: "/params/tiers/__proto__/polluted", message: "p3" },
    { pointer: "/__proto__", message: "p4" },
    { pointer: "/__proto__/x", message: "p5" },
    { pointer: "/constructor/prototype/y", message: "p6" },
    { pointer: "__proto__", message: "p7" },
    { pointer: "constructor", message: "p8" },
  ];
  await page.route("**/v1/campaigns", (route) =>
    route.request().method() === "POST"
      ? route.fulfill({
          status: 400,
          contentType: "application/problem+json",
          body: JSON.stringify({
            type: "about:blank",
            title: "Invalid campaign",
            status: 400,
            detail: "the campaign is invalid",
            errors,
          }),
        })
      : route.continue(),
  );
  try {
    await page.goto(BASE + "/#/campaigns/new");
    await page.fill("input[name=id]", "never-stored");
    await page.fill("input[name=name]", "Never stored");
    await page.selectOption("select[name=plugin]", "threshold-discount");
    await page
      .locator("#root_tiers")
      .getByRole("button", { name: /ajouter/i })
      .first()
      .click();
    await page.fill("#root_tiers_0_min_subtotal", "100");
    await page.fill("#root_tiers_0_percent_off", "10");
    await page.click("button[type=submit]");
    await paramField("#root_tiers_0_percent_off")
      .getByText("refusé par le serveur de test")
      .waitFor(WAIT);
    // The pointers no field shows are listed in the banner, as they are.
    await page.locator(".problem").getByText("p7").waitFor(WAIT);
    const leaked = await page.evaluate(() =>
      ["polluted", "x", "y", "__errors"].filter(
        (name) => ({})[name] !== undefined || Object[name] !== undefined || [][name] !== undefined,
      ),
    );
    assert.deepEqual(leaked, [], "nothing reached a prototype");
  } finally {
    await page.unroute("**/v1/campaigns");
  }
  await page.getByRole("link", { name: "Annuler" }).click();
  await page.getByRole("heading", { name: "Campagnes" }).waitFor(WAIT);
});

test("a basket tried shows the discount and why another campaign did not apply", async () => {
  await api("POST", "/v1/campaigns", KEYS.marketing, {
    id: "stores-only",
    name: "Stores only",
    plugin: "threshold-discount",
    params: { tiers: [{ min_subtotal: "10", percent_off: "5" }] },
    audience: { channels: ["store"] },
    status: "active",
  });
  await page.click("text=Essayer un panier");
  await page.getByRole("button", { name: "Calculer" }).click();
  await page.getByTestId("discount-total").waitFor(WAIT);
  // Money as a French reader writes it, by Intl: decimal comma, no-break space, euro sign.
  assert.equal(await page.getByTestId("discount-total").innerText(), `11,88${NBSP}€`);
  await page.getByText("10 % de remise sur la commande : 11,88 €").waitFor(WAIT);
  const rejected = page.locator("table.rejected tr", { hasText: "stores-only" });
  await rejected.waitFor(WAIT);
  assert.match(await rejected.innerText(), /Non éligible/);
  await shot("03-try-a-basket");
});

test("with explain, a campaign whose plugin ran shows its run's trace: fuel, wall time, memory, sandbox, log", async () => {
  await page.goto(BASE + "/#/try");
  await page.getByRole("button", { name: "Calculer" }).click();
  const applied = page.locator("ul.applied > li", { hasText: "ten-from-100" });
  await applied.waitFor(WAIT);
  const trace = applied.locator("details.trace");
  // Folded at first: its figures are shown once it is opened.
  const fuel = trace.getByTestId("trace-fuel");
  assert.equal(await fuel.isVisible(), false);
  await trace.locator("summary").getByText("Trace", { exact: true }).click();
  await fuel.waitFor(WAIT);
  // "12 345 / 10 000 000": the fuel used of the fuel granted, grouped the French way.
  const [used, limit] = (await fuel.innerText())
    .split("/")
    .map((part) => Number(part.replace(/\D/g, "")));
  assert.ok(used > 0 && used <= limit, `fuel ${used} of ${limit}`);
  assert.match(await trace.getByTestId("trace-time").innerText(), /^\d[\d\s]* µs$/);
  assert.match(await trace.getByTestId("trace-memory").innerText(), /^\d[\d\s,]* Kio$/);
  await trace.getByTestId("trace-campaigns").waitFor(WAIT);
  await trace.getByText("Journal de la mécanique").waitFor(WAIT);
  // The campaign the prefilter set aside never ran: no trace.
  const rejected = page.locator("table.rejected tr", { hasText: "stores-only" });
  await rejected.waitFor(WAIT);
  assert.equal(await rejected.locator("details.trace").count(), 0);
  await shot("19-trace");

  // A plugin that logs, run with another campaign: the answer of the real API with such a
  // trace, as a server would send it, shows the log lines with their level, the lines
  // dropped, and the campaign that shared the sandbox.
  await page.route("**/v1/evaluate", async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    for (const a of json.applied) {
      a.trace = {
        ...a.trace,
        campaigns: [a.campaign, "e2e-neighbour"],
        log: [
          { level: "info", message: "tier 100 reached" },
          { level: "warn", message: "no category matched" },
        ],
        log_dropped: 3,
      };
    }
    await route.fulfill({ response, json });
  });
  try {
    await page.getByRole("button", { name: "Calculer" }).click();
    await trace.getByText("tier 100 reached").waitFor(WAIT);
    await trace.locator("li.log.warn").getByText("alerte").waitFor(WAIT);
    await trace.getByText("no category matched").waitFor(WAIT);
    assert.equal(
      await trace.getByTestId("trace-dropped").innerText(),
      "3 lignes de plus non conservées",
    );
    await trace
      .getByTestId("trace-campaigns")
      .getByRole("link", { name: "e2e-neighbour" })
      .waitFor(WAIT);
  } finally {
    await page.unroute("**/v1/evaluate");
  }
});

test("the results change after a redemption committed over the API", async () => {
  await page.goto(BASE + "/#/campaigns/ten-from-100");
  await page.getByTestId("redemptions").getByText("0", { exact: true }).waitFor(WAIT);
  await api("POST", "/v1/redemptions", KEYS.channel, {
    order_id: "order-1",
    currency: "EUR",
    channel: "web",
    lines: [
      { id: "1", sku: "TSHIRT-M", quantity: 2, unit_price: "19.90" },
      { id: "2", sku: "JEANS-32", quantity: 1, unit_price: "79.00" },
    ],
  });
  // No reload: the page refreshes itself.
  await page.getByTestId("redemptions").getByText("1", { exact: true }).waitFor(WAIT);
  await page.getByTestId("discount").getByText("11,88 €").waitFor(WAIT);
  await page.getByText("11,88 € consommés sur 500,00 €").waitFor(WAIT);
  await shot("04-results");
});

test("a campaign that met its objective says so", async () => {
  await api("POST", "/v1/campaigns", KEYS.marketing, {
    id: "first-order",
    name: "First order only",
    plugin: "threshold-discount",
    params: { tiers: [{ min_subtotal: "1", amount_off: "5.00" }] },
    audience: { channels: ["store"] },
    limits: { redemptions: 1 },
    status: "active",
  });
  await page.goto(BASE + "/#/campaigns/first-order");
  await page.getByText("0 sur 1", { exact: true }).waitFor(WAIT);
  await api("POST", "/v1/redemptions", KEYS.channel, {
    order_id: "order-2",
    currency: "EUR",
    channel: "store",
    lines: [{ id: "1", sku: "MUG", quantity: 1, unit_price: "12.00" }],
  });
  await page
    .getByText("Objectif atteint : la campagne a atteint son plafond d'utilisations")
    .waitFor(WAIT);
  await page.getByText("1 sur 1", { exact: true }).waitFor(WAIT);
});

test("a customer is found by the start of their id, corrected, shown their wallet, points and orders, and erased", async () => {
  // A campaign for card holders on the web, capped per customer, with a budget and an end.
  await api("POST", "/v1/campaigns", KEYS.marketing, {
    id: "card-holders",
    name: "Porteurs de carte −5 %",
    plugin: "threshold-discount",
    params: { tiers: [{ min_subtotal: "10", percent_off: "5" }] },
    audience: { channels: ["web"], segments: ["card-holder"] },
    schedule: { ends_at: "2099-12-31T12:00:00Z" },
    limits: {
      per_customer: 2,
      per_customer_period: "month",
      redemptions: 50,
      budget: "100.00",
      budget_currency: "EUR",
    },
    status: "active",
  });
  // A point per euro spent on the web, valid 30 days, for everyone: created before the
  // order below, which earns it.
  await api("POST", "/v1/campaigns", KEYS.marketing, {
    id: "points-per-euro",
    name: "Un point par euro",
    plugin: "points-multiplier",
    params: { points_per_currency_unit: "1", multiplier: "1" },
    audience: { channels: ["web"] },
    points_valid_days: 30,
    status: "active",
  });
  await api("PUT", "/v1/customers/e2e-c-1042", KEYS.marketing, {
    loyalty_tier: "silver",
    segments: ["card-holder", "newsletter"],
    birthdate: "1988-04-12",
    attributes: { favourite_store: "lyon-3" },
    consent: { email: true, sms: false },
  });
  await api("PUT", "/v1/customers/e2e-c-2001", KEYS.marketing, { loyalty_tier: "bronze" });
  await api("PUT", "/v1/customers/walk-in-7", KEYS.marketing, {});
  // One order of the first customer, who names only their id: the stored profile's segment
  // lets the campaign in, and leaves them one use of two this month. It earns a point per
  // whole euro of its subtotal (before discounts).
  const basket = {
    order_id: "order-c-1",
    currency: "EUR",
    channel: "web",
    customer: { id: "e2e-c-1042" },
    lines: [{ id: "1", sku: "MUG", quantity: 2, unit_price: "12.00" }],
  };
  const order = await api("POST", "/v1/redemptions", KEYS.channel, basket);
  assert.deepEqual(
    order.applied.map((a) => a.campaign),
    ["card-holders", "points-per-euro"],
  );
  const cents = basket.lines.reduce(
    (sum, line) => sum + line.quantity * Math.round(Number(line.unit_price) * 100),
    0,
  );
  const spent = Math.floor(cents / 100);
  assert.deepEqual(
    order.points.map((p) => [p.campaign, p.points]),
    [["points-per-euro", spent]],
  );

  // The search: every profile at first, then those whose id starts with the text typed.
  await page.goto(BASE + "/#/campaigns");
  await page.locator("nav").getByRole("link", { name: "Clients" }).click();
  await page.getByRole("heading", { name: "Clients" }).waitFor(WAIT);
  await page.locator("tr[data-customer=walk-in-7]").waitFor(WAIT);
  await page.fill("input[name=customer-search]", "e2e-c-");
  await page.locator("tr[data-customer=walk-in-7]").waitFor({ state: "detached", ...WAIT });
  const first = page.locator("tr[data-customer=e2e-c-1042]");
  await first.getByText("silver").waitFor(WAIT);
  await first.getByText("card-holder, newsletter").waitFor(WAIT);
  await page.locator("tr[data-customer=e2e-c-2001]").getByText("bronze").waitFor(WAIT);
  assert.equal(await page.locator("table.customer-list tbody tr").count(), 2);
  // 25 more, imported: 20 are shown at a time, then the rest.
  const ndjson = Array.from(
    { length: 25 },
    (_, i) => JSON.stringify({ id: `e2e-many-${String(i).padStart(2, "0")}` }) + "\n",
  ).join("");
  const imported = await fetch(BASE + "/v1/imports/customers", {
    method: "POST",
    headers: { Authorization: `Bearer ${KEYS.marketing}`, "Content-Type": "application/x-ndjson" },
    body: ndjson,
  });
  assert.equal(imported.status, 200, await imported.text());
  await page.fill("input[name=customer-search]", "e2e-many-");
  await page.getByText("20 profils affichés").waitFor(WAIT);
  assert.equal(await page.locator("table.customer-list tbody tr").count(), 20);
  await page.getByRole("button", { name: "Afficher plus" }).click();
  await page.getByText("25 profils affichés").waitFor(WAIT);
  await page.locator("tr[data-customer=e2e-many-24]").waitFor(WAIT);
  assert.equal(await page.getByRole("button", { name: "Afficher plus" }).count(), 0);

  // One customer: the profile, dates and consents for French readers.
  await page.fill("input[name=customer-search]", "e2e-c-");
  await first.getByRole("link", { name: "e2e-c-1042" }).click();
  await page.getByRole("heading", { name: "e2e-c-1042" }).waitFor(WAIT);
  const profile = page.locator("dl.profile");
  await profile.getByText("12 avr. 1988").waitFor(WAIT);
  await profile.getByText("lyon-3").waitFor(WAIT);
  await profile.getByText("e-mail : oui · SMS : non").waitFor(WAIT);
  assert.equal(await page.getByTestId("tier").innerText(), "silver");

  // The wallet, on any channel: the card holders' offer with what is left of it, and the
  // campaign for everyone with its budget left.
  const offer = page.locator("tr[data-offer=card-holders]");
  await offer.getByText("1 par mois").waitFor(WAIT);
  await offer.getByText("49", { exact: true }).waitFor(WAIT);
  await offer.getByText(`98,80${NBSP}€`).waitFor(WAIT);
  await offer.getByText("2099").waitFor(WAIT);
  await page.locator("tr[data-offer=ten-from-100]").getByText("488,12 €").waitFor(WAIT);

  // The points: the balance the order earned, and its lot, with its campaign and an expiry.
  await page.getByRole("heading", { name: "Points", exact: true }).waitFor(WAIT);
  await page.getByTestId("points-balance").getByText(`${spent} points`).waitFor(WAIT);
  const lot = page.locator("table.points tr[data-lot=order-c-1]");
  await lot.getByRole("link", { name: "points-per-euro" }).waitFor(WAIT);
  await lot.getByText("actif", { exact: true }).waitFor(WAIT);
  assert.deepEqual(await lot.locator("td.num").allInnerTexts(), [String(spent), String(spent)]);
  assert.equal(await lot.getByText("sans expiration").count(), 0, "valid 30 days");
  assert.equal(await page.locator("table.points tbody tr").count(), 1);
  // The order as committed: its total in euros, the campaigns that applied, its points.
  await page.getByRole("heading", { name: "Commandes" }).waitFor(WAIT);
  const orderRow = page.locator("table.orders tr[data-order=order-c-1]");
  await orderRow.getByText(`${order.total.replace(".", ",")}${NBSP}€`).waitFor(WAIT);
  await orderRow.getByRole("link", { name: "card-holders" }).waitFor(WAIT);
  await orderRow.getByRole("link", { name: "points-per-euro" }).waitFor(WAIT);
  assert.equal(await orderRow.locator("td.num").last().innerText(), String(spent));
  assert.equal(await page.locator("table.orders tbody tr").count(), 1);
  await shot("14-customer");
  // In a store, the web's offer goes; the stores' one stays.
  await page.fill("input[name=wallet-channel]", "store");
  await offer.waitFor({ state: "detached", ...WAIT });
  await page.locator("tr[data-offer=stores-only]").waitFor(WAIT);
  await page.fill("input[name=wallet-channel]", "");
  await offer.waitFor(WAIT);

  // The edit form: the API's error shown next to its field, nothing saved; then saved.
  await page.fill("input[name=loyalty_tier]", "gold");
  await page.fill("input[name=birthdate]", "1899-12-31");
  await page.getByRole("button", { name: "Enregistrer le profil" }).click();
  await page
    .locator(".field", { has: page.locator("input[name=birthdate]") })
    .getByRole("alert")
    .getByText("must be from 1900-01-01")
    .waitFor(WAIT);
  assert.equal(
    (await api("GET", "/v1/customers/e2e-c-1042", KEYS.marketing)).loyalty_tier,
    "silver",
    "a refused patch changes nothing",
  );
  await page.fill("input[name=birthdate]", "1988-04-12");
  await page.check("input[name=consent_sms]");
  await page.getByRole("button", { name: "Enregistrer le profil" }).click();
  await page.getByText("Profil enregistré.").waitFor(WAIT);
  await page.getByTestId("tier").getByText("gold", { exact: true }).waitFor(WAIT);
  await profile.getByText("e-mail : oui · SMS : oui").waitFor(WAIT);
  const stored = await api("GET", "/v1/customers/e2e-c-1042", KEYS.marketing);
  assert.equal(stored.loyalty_tier, "gold");
  assert.deepEqual(stored.segments, ["card-holder", "newsletter"]);
  assert.equal(stored.birthdate, "1988-04-12");
  assert.deepEqual(stored.consent, { email: true, sms: true });
  assert.deepEqual(stored.attributes, { favourite_store: "lyon-3" });

  // Erased, once confirmed: the profile gone, the order anonymised.
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Effacer le client" }).click();
  await page
    .getByTestId("erased")
    .getByText("Client « e2e-c-1042 » effacé : profil supprimé, 1 commande anonymisée.")
    .waitFor(WAIT);
  const gone = await fetch(BASE + "/v1/customers/e2e-c-1042", {
    headers: { Authorization: `Bearer ${KEYS.marketing}` },
  });
  assert.equal(gone.status, 404);
  // Asked again, the points and the orders are gone with the customer: none, no error.
  await page.getByTestId("points-empty").waitFor(WAIT);
  await page.getByTestId("orders-empty").waitFor(WAIT);
  assert.equal(await page.getByTestId("points-balance").count(), 0);
  assert.equal(await page.locator(".customer .problem").count(), 0);
  await page.locator("nav").getByRole("link", { name: "Clients" }).click();
  await page.fill("input[name=customer-search]", "e2e-c-");
  await page.locator("tr[data-customer=e2e-c-2001]").waitFor(WAIT);
  assert.equal(await page.locator("tr[data-customer=e2e-c-1042]").count(), 0);
  assert.deepEqual(policyProblems, []);
  await api("POST", "/v1/campaigns/card-holders/end", KEYS.marketing);
  await api("POST", "/v1/campaigns/points-per-euro/end", KEYS.marketing);
});

test("an order is returned in part from the customer page: the refund to make, the units still held, the returns listed", async () => {
  // The classic of docs/returns.md: « 10 % dès 100 € » on a 90.00 coat and a 30.00 shirt,
  // paid 108.00. The other campaigns of the web have ended.
  await api("PUT", "/v1/customers/e2e-r-7", KEYS.marketing, { loyalty_tier: "silver" });
  const order = await api("POST", "/v1/redemptions", KEYS.channel, {
    order_id: "order-r-1",
    currency: "EUR",
    channel: "web",
    customer: { id: "e2e-r-7" },
    lines: [
      { id: "1", sku: "COAT", quantity: 1, unit_price: "90.00" },
      { id: "2", sku: "SHIRT", quantity: 1, unit_price: "30.00" },
    ],
  });
  assert.deepEqual(
    order.applied.map((a) => a.campaign),
    ["ten-from-100"],
  );
  assert.equal(order.total, "108.00");

  await page.goto(BASE + "/#/customers/e2e-r-7");
  await page.getByRole("heading", { name: "e2e-r-7" }).waitFor(WAIT);
  const row = page.locator("table.orders tr[data-order=order-r-1]");
  await row.getByText("108,00 €").waitFor(WAIT);
  await row.getByTestId("order-returns").getByText("aucun", { exact: true }).waitFor(WAIT);
  await row.getByRole("button", { name: "Retour", exact: true }).click();
  const panel = page.locator("tr[data-panel=order-r-1]");
  const form = panel.locator("form.return-form");
  await form.waitFor(WAIT);
  // One row per line, with the units still held.
  const coat = form.locator("tr[data-line='1']");
  const shirt = form.locator("tr[data-line='2']");
  assert.equal(await coat.locator("td.held").innerText(), "1");
  assert.equal(await shirt.locator("td.held").innerText(), "1");
  assert.match(await form.innerText(), /Identifiant du retour\s*: order-r-1-r1-/);

  // More units than the order holds: refused next to the line, nothing sent.
  const posted = [];
  const onRequest = (request) =>
    request.method() === "POST" && request.url().includes("/returns") && posted.push(request);
  page.on("request", onRequest);
  await shirt.locator("input").fill("2");
  await form.getByRole("button", { name: "Enregistrer le retour" }).click();
  await shirt.getByRole("alert").getByText("Au plus 1 unité").waitFor(WAIT);
  assert.equal(posted.length, 0, "an over-return is not sent");

  // The shirt comes back: the coat alone no longer reaches 100 €, so its 10 % is taken from
  // the refund: 108.00 paid, 90.00 kept, 18.00 to refund.
  await shirt.locator("input").fill("1");
  await form.getByRole("button", { name: "Enregistrer le retour" }).click();
  const refund = panel.getByTestId("refund-total");
  await refund.getByText("À rembourser : 18,00 €").waitFor(WAIT);
  page.off("request", onRequest);
  assert.equal(posted.length, 1);
  assert.deepEqual(JSON.parse(posted[0].postData()).lines, [{ id: "2", quantity: 1 }]);
  assert.equal(await refund.innerText(), `À rembourser${NBSP}: 18,00${NBSP}€`);
  assert.deepEqual(
    await panel.locator("table.refund-lines tr[data-refund-line='2'] td.num").allInnerTexts(),
    ["1", `27,00${NBSP}€`, `9,00${NBSP}€`, `18,00${NBSP}€`],
  );
  await panel
    .locator("li[data-campaign-change=ten-from-100]")
    .getByText("retirée : 12,00 € → 0,00 €")
    .waitFor(WAIT);
  // The orders asked again: the shirt is no longer held, the order counts its return.
  await panel
    .locator("table.order-lines tr[data-line='2'] td.held")
    .getByText("0", { exact: true })
    .waitFor(WAIT);
  assert.equal(await panel.locator("table.order-lines tr[data-line='1'] td.held").innerText(), "1");
  await row.getByTestId("order-returns").getByText("1 retour, 18,00 € remboursés").waitFor(WAIT);
  await shot("15-customer-return");
  const recorded = await api("GET", "/v1/redemptions/order-r-1/returns", KEYS.marketing);
  assert.equal(recorded.returns.length, 1);
  assert.match(recorded.returns[0].return_id, /^order-r-1-r1-/);
  assert.equal(recorded.returns[0].refund_total, "18.00");

  // A new return of the coat, while a till returns it first: the API's error, pointing at
  // the first line sent, is shown next to the coat; the shirt cannot be returned again.
  await panel.getByRole("button", { name: "Nouveau retour" }).click();
  await form.waitFor(WAIT);
  assert.ok(await shirt.locator("input").isDisabled(), "no unit of the shirt is held");
  await coat.locator("input").fill("1");
  await api("POST", "/v1/redemptions/order-r-1/returns", KEYS.channel, {
    return_id: "till-r2",
    lines: [{ id: "1", quantity: 1 }],
  });
  await form.getByRole("button", { name: "Enregistrer le retour" }).click();
  await coat
    .getByRole("alert")
    .getByText("the order holds 0 of the 1 bought", { exact: false })
    .waitFor(WAIT);
  await coat.locator("td.held").getByText("0", { exact: true }).waitFor(WAIT);
  await row.getByTestId("order-returns").getByText("2 retours, 108,00 € remboursés").waitFor(WAIT);
  assert.equal(await row.getByRole("button", { name: "Retour", exact: true }).count(), 0);

  // The order's returns, first first, with what each refunded.
  await row.getByRole("button", { name: "Détail" }).click();
  const history = panel.locator("table.returns");
  await history.locator("tr[data-return=till-r2]").getByText("90,00 €").waitFor(WAIT);
  const first = history.locator("tbody tr").first();
  assert.match(await first.getAttribute("data-return"), /^order-r-1-r1-/);
  await first.locator("td.refund-amount").getByText("18,00 €").waitFor(WAIT);
  await first.getByText("SHIRT × 1").waitFor(WAIT);
  await first.getByText("retirée").waitFor(WAIT);
  assert.equal(await history.locator("tbody tr").count(), 2);
  await panel.getByRole("button", { name: "Fermer" }).click();
  await panel.waitFor({ state: "detached", ...WAIT });
  assert.deepEqual(policyProblems, []);
});

test("personal codes are previewed, handed out to a segment with e-mail consent, reported and shown in the wallet", async () => {
  // A campaign that needs a code, for everyone; two profiles of one segment, only one of
  // them consenting to e-mail. Ids of their own, so no other test sees them.
  await api("POST", "/v1/campaigns", KEYS.marketing, {
    id: "e2e-dist-vip",
    name: "VIP −15 %",
    plugin: "threshold-discount",
    params: { tiers: [{ min_subtotal: "0", percent_off: "15" }] },
    coupon_required: true,
    status: "active",
  });
  await api("PUT", "/v1/customers/e2e-dist-mail", KEYS.marketing, {
    segments: ["e2e-dist-seg"],
    consent: { email: true },
  });
  await api("PUT", "/v1/customers/e2e-dist-nomail", KEYS.marketing, {
    segments: ["e2e-dist-seg"],
    consent: { email: false, sms: true },
  });

  // A campaign that needs no code has no distribution form, only why.
  await page.goto(BASE + "/#/campaigns/ten-from-100/coupons");
  await page.getByTestId("personal-codes-not-required").waitFor(WAIT);
  assert.equal(await page.locator("form.distribute").count(), 0);

  await page.goto(BASE + "/#/campaigns/e2e-dist-vip");
  await page.getByRole("heading", { name: "VIP −15 %" }).waitFor(WAIT);
  await page.getByRole("link", { name: "Codes promo" }).click();
  const form = page.locator("form.distribute");
  await form.getByRole("heading", { name: "Distribuer des codes personnels" }).waitFor(WAIT);
  const report = page.getByTestId("distribution-report");
  await report.getByTestId("report-assigned").getByText("0", { exact: true }).waitFor(WAIT);
  await page.getByText("0 code", { exact: true }).waitFor(WAIT);
  // "Distribuer" waits for a preview of these very settings.
  const distribute = form.getByRole("button", { name: "Distribuer", exact: true });
  assert.ok(await distribute.isDisabled());

  await form.locator("input[name=dist-segment]").fill("e2e-dist-seg");
  await form.locator("select[name=dist-consent]").selectOption("email");
  await form.locator("input[name=dist-prefix]").fill("VIP-");
  // The API's error is shown next to its field.
  await form.locator("input[name=dist-uses]").fill("0");
  await form.getByRole("button", { name: "Prévisualiser" }).click();
  await form
    .locator(".field", { has: page.locator("input[name=dist-uses]") })
    .getByRole("alert")
    .getByText("must be 1 to 1000000")
    .waitFor(WAIT);
  await form.locator("input[name=dist-uses]").fill("1");

  // The preview: one would get a code, the other is skipped for want of consent; nothing
  // is handed out.
  await form.getByRole("button", { name: "Prévisualiser" }).click();
  const preview = form.getByTestId("distribution-preview");
  await preview.getByText("1 client recevrait un code").waitFor(WAIT);
  assert.equal(
    await preview.getByTestId("already").innerText(),
    "0 client a déjà un code (il le garde)",
  );
  assert.equal(await preview.getByTestId("skipped").innerText(), "1 client écarté");
  await preview
    .locator("tr[data-skipped=e2e-dist-nomail]")
    .getByText("pas de consentement aux envois par e-mail")
    .waitFor(WAIT);
  const none = await api("GET", "/v1/campaigns/e2e-dist-vip/coupons", KEYS.marketing);
  assert.equal(none.total, 0, "a preview hands nothing out");

  // Distributed: one code handed out, listed with its customer, counted by the report, and
  // downloaded as customer,code.
  await distribute.click();
  const done = form.getByTestId("distribution-done");
  await done.getByText("1 code distribué").waitFor(WAIT);
  await report.getByTestId("report-assigned").getByText("1", { exact: true }).waitFor(WAIT);
  assert.equal(
    await report.getByTestId("report-conversion").locator("strong").innerText(),
    `0${NBSP}%`,
  );
  const row = page.locator("table.coupons tbody tr", { hasText: "e2e-dist-mail" });
  await row.waitFor(WAIT);
  const code = await row.locator("code").innerText();
  assert.match(code, /^VIP-[0-9A-Z]{12}$/);
  assert.equal(await page.locator("table.coupons tbody tr").count(), 1);
  const [download] = await Promise.all([
    page.waitForEvent("download", WAIT),
    done.getByRole("button", { name: "Télécharger les codes distribués (CSV)" }).click(),
  ]);
  const csv = await readFile(await download.path(), "utf8");
  assert.equal(csv, `customer,code\ne2e-dist-mail,${code}\n`);
  await shot("16-distribution");
  const stored = await api("GET", "/v1/campaigns/e2e-dist-vip/distributions", KEYS.marketing);
  assert.equal(stored.assigned, 1);
  assert.equal(stored.used, 0);

  // The same again hands out nothing new: the customer keeps their code.
  await form.getByRole("button", { name: "Prévisualiser" }).click();
  await preview.getByText("0 client recevrait un code").waitFor(WAIT);
  assert.equal(
    await preview.getByTestId("already").innerText(),
    "1 client a déjà un code (il le garde)",
  );
  assert.ok(await distribute.isDisabled(), "nothing to hand out");

  // The customer's wallet lists the campaign, which needs a code, with their code.
  await page.goto(BASE + "/#/customers/e2e-dist-mail");
  await page.getByRole("heading", { name: "e2e-dist-mail" }).waitFor(WAIT);
  const offer = page.locator("tr[data-offer=e2e-dist-vip]");
  const held = offer.locator(`li[data-code="${code}"]`);
  await held.getByText(code).waitFor(WAIT);
  await held.getByText("1 utilisation restante · sans expiration").waitFor(WAIT);
  // The other one, who got none, has no such offer.
  await page.goto(BASE + "/#/customers/e2e-dist-nomail");
  await page.getByRole("heading", { name: "e2e-dist-nomail" }).waitFor(WAIT);
  await page.getByRole("heading", { name: "Portefeuille" }).waitFor(WAIT);
  await page.getByText("Offres valables au").waitFor(WAIT);
  assert.equal(await page.locator("tr[data-offer=e2e-dist-vip]").count(), 0);
  assert.deepEqual(policyProblems, []);
  await api("POST", "/v1/campaigns/e2e-dist-vip/end", KEYS.marketing);
});

test("coupons are generated with progress, listed, searched and downloaded as CSV", async () => {
  await page.goto(BASE + "/#/campaigns/ten-from-100/coupons");
  await page.fill("input[name=count]", "12000");
  await page.fill("input[name=prefix]", "E2E-");
  await page.fill("input[name=uses_per_code]", "2");
  await page.getByRole("button", { name: "Générer" }).click();
  // Thousands grouped the French way (Intl: narrow no-break spaces), the plural agreed.
  await page.getByText("12 000 codes générés sur 12 000").waitFor({ timeout: 60_000 });
  await page.getByText("12 000 codes", { exact: true }).waitFor(WAIT);
  const first = await page.locator("table.coupons tbody tr td code").first().innerText();
  assert.match(first, /^E2E-[0-9A-Z]{12}$/);
  await page.fill("input[name=code-search]", first.slice(0, 8));
  await page.locator("table.coupons tbody tr").first().waitFor(WAIT);
  await shot("05-coupons");
  await page.fill("input[name=code-search]", "");
  await page.getByText("12 000 codes", { exact: true }).waitFor(WAIT);
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: 60_000 }),
    page.getByRole("button", { name: "Télécharger le CSV" }).click(),
  ]);
  const csv = await readFile(await download.path(), "utf8");
  const rows = csv.trim().split("\n");
  assert.equal(rows[0], "code,uses,uses_per_code,created_at,customer,expires_at");
  assert.equal(rows.length, 12_001);
  assert.equal(new Set(rows.slice(1).map((r) => r.split(",")[0])).size, 12_000);
});

test("the list shows budget used, redemptions and discount granted; it filters and searches", async () => {
  await page.goto(BASE + "/#/campaigns");
  const row = page.locator("tr[data-campaign=ten-from-100]");
  // The row comes first, its stats right after.
  await row.getByText("11,88 € / 500,00 €").waitFor(WAIT);
  await page.fill("input[name=search]", "stores");
  await page.locator("tr[data-campaign=ten-from-100]").waitFor({ state: "detached", ...WAIT });
  await page.fill("input[name=search]", "");
  await page
    .getByRole("group", { name: "Statut" })
    .getByRole("button", { name: "Actives" })
    .click();
  await row.waitFor(WAIT);
  await shot("06-campaigns");
});

test("the console switches to English and back; the page's language follows", async () => {
  await page.goto(BASE + "/#/campaigns");
  const row = page.locator("tr[data-campaign=ten-from-100]");
  await row.getByText("11,88 € / 500,00 €").waitFor(WAIT);
  await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  await page.getByRole("heading", { name: "Campaigns" }).waitFor(WAIT);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await row.getByText("€11.88 / €500.00").waitFor(WAIT);
  // Remembered (the language only, never the key) across a reload.
  assert.equal(await page.evaluate(() => localStorage.getItem("remise.lang")), "en");
  await page.reload();
  await page.getByRole("heading", { name: "Campaigns" }).waitFor(WAIT);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
  await page.getByRole("heading", { name: "Campagnes" }).waitFor(WAIT);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "fr");
});

test("a campaign is cloned, edited, activated, paused, ended and deleted", async () => {
  await page.goto(BASE + "/#/campaigns");
  await page
    .locator("tr[data-campaign=ten-from-100]")
    .getByRole("link", { name: "Dupliquer" })
    .click();
  await page.locator("input[name=id]").waitFor(WAIT);
  assert.equal(await page.inputValue("input[name=id]"), "ten-from-100-copy");
  assert.equal(await page.inputValue("#root_tiers_0_percent_off"), "10");
  await page.getByRole("button", { name: "Créer la campagne" }).click();
  await page.getByRole("heading", { name: "10 % dès 100 € (copie)" }).waitFor(WAIT);
  await page.getByRole("link", { name: "Modifier" }).click();
  await page.locator("input[name=name]").waitFor(WAIT);
  await page.fill("input[name=name]", "Copy, renamed");
  await page.fill("input[name=timezone]", "Europe/Paris");
  await page.fill("input[name=starts_at]", "2026-03-01T00:00");
  await page.check("input[name=day-sat]");
  await page.getByRole("button", { name: "Enregistrer" }).click();
  // Exactly: the editor's own heading, « Copy, renamed », holds the name as soon as it is typed.
  await page.getByRole("heading", { name: "Copy, renamed", exact: true }).waitFor(WAIT);
  const edited = await api("GET", "/v1/campaigns/ten-from-100-copy", KEYS.marketing);
  assert.equal(
    edited.schedule.starts_at,
    "2026-03-01T00:00:00+01:00",
    "a wall-clock time in Paris, winter offset",
  );
  assert.deepEqual(edited.schedule.days_of_week, ["sat"]);
  for (const [action, status] of [
    ["Activer", "active"],
    ["Mettre en pause", "paused"],
    ["Terminer", "ended"],
  ]) {
    await page.getByRole("button", { name: action, exact: true }).click();
    await page.locator(`.page-head .badge.${status}`).waitFor(WAIT);
  }
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Supprimer" }).click();
  await page.getByRole("heading", { name: "Campagnes" }).waitFor(WAIT);
  await page.locator("tr[data-campaign=ten-from-100]").waitFor(WAIT);
  assert.equal(await page.locator("tr[data-campaign=ten-from-100-copy]").count(), 0);
});

test("a campaign's history lists its revisions with their authors and shows what an edit changed", async () => {
  // Created by the admin, whose key's label names it in the history; renamed in the console
  // by marketing, whose key has no label ("marketing key").
  const admin = (await api("GET", "/v1/me", KEYS.admin)).label || "admin key";
  await api("POST", "/v1/campaigns", KEYS.admin, {
    id: "e2e-history",
    name: "Soldes d'hiver",
    plugin: "threshold-discount",
    params: { tiers: [{ min_subtotal: "50", percent_off: "20" }] },
    audience: { channels: ["store"] },
  });
  await page.goto(BASE + "/#/campaigns/e2e-history/edit");
  await page.locator("input[name=name]").waitFor(WAIT);
  assert.equal(await page.inputValue("input[name=name]"), "Soldes d'hiver");
  await page.fill("input[name=name]", "Soldes d'hiver −20 %");
  await page.getByRole("button", { name: "Enregistrer" }).click();
  await page.getByRole("heading", { name: "Soldes d'hiver −20 %", exact: true }).waitFor(WAIT);

  // From the list, the campaign's history: newest first, each revision with its author.
  await page.locator("nav").getByRole("link", { name: "Campagnes" }).click();
  await page
    .locator("tr[data-campaign=e2e-history]")
    .getByRole("link", { name: "Historique" })
    .click();
  await page.getByRole("heading", { name: "Historique", exact: true }).waitFor(WAIT);
  const revisions = page.locator("table.revisions tbody tr");
  const created = page.locator("table.revisions tr[data-revision='1']");
  const renamed = page.locator("table.revisions tr[data-revision='2']");
  await renamed.waitFor(WAIT);
  assert.equal(await revisions.count(), 2);
  assert.equal(await revisions.first().getAttribute("data-revision"), "2");
  await created.getByText("création", { exact: true }).waitFor(WAIT);
  await created.getByText(admin, { exact: true }).waitFor(WAIT);
  await renamed.getByText("modification", { exact: true }).waitFor(WAIT);
  await renamed.getByText("marketing key", { exact: true }).waitFor(WAIT);
  assert.match(
    await renamed.locator("td").nth(5).innerText(),
    new RegExp(`${new Date().getFullYear()}`),
  );

  // The newest and the one before are compared: the name, before and after, as JSON.
  const diff = page.getByTestId("diff");
  await diff
    .getByRole("heading", { name: "Modifications de la version 1 à la version 2" })
    .waitFor(WAIT);
  const name = diff.locator("tr[data-path='/name']");
  await name.waitFor(WAIT);
  assert.equal(await name.locator("td.before").innerText(), `"Soldes d'hiver"`);
  assert.equal(await name.locator("td.after").innerText(), `"Soldes d'hiver −20 %"`);
  await name.getByText("modifié", { exact: true }).waitFor(WAIT);

  // One revision's whole campaign.
  await created.getByRole("button", { name: "Voir la campagne" }).click();
  const whole = page.getByTestId("revision");
  await whole.getByRole("heading", { name: "Version 1" }).waitFor(WAIT);
  const json = JSON.parse(await whole.getByTestId("revision-json").innerText());
  assert.equal(json.name, "Soldes d'hiver");
  assert.equal(json.id, "e2e-history");
  await shot("18-history");
  await whole.getByRole("button", { name: "Fermer" }).click();
  await whole.waitFor({ state: "detached", ...WAIT });

  // Activated over the API: a third revision. Compared from the first, both changes show.
  await api("POST", "/v1/campaigns/e2e-history/activate", KEYS.marketing);
  await page.reload();
  await diff
    .getByRole("heading", { name: "Modifications de la version 2 à la version 3" })
    .waitFor(WAIT);
  const status = diff.locator("tr[data-path='/status']");
  assert.equal(await status.locator("td.before").innerText(), `"draft"`);
  assert.equal(await status.locator("td.after").innerText(), `"active"`);
  assert.equal(await diff.locator("tr[data-path='/name']").count(), 0);
  await page.getByRole("radio", { name: "Comparer depuis la version 1" }).check();
  await diff
    .getByRole("heading", { name: "Modifications de la version 1 à la version 3" })
    .waitFor(WAIT);
  await diff.locator("tr[data-path='/name']").waitFor(WAIT);
  await status.waitFor(WAIT);
  await api("POST", "/v1/campaigns/e2e-history/end", KEYS.marketing);

  // A deleted campaign keeps its history; its deletion holds no campaign to show.
  await page.goto(BASE + "/#/campaigns/ten-from-100-copy/history");
  const deletion = page.locator("table.revisions tbody tr").first();
  await deletion.getByText("suppression", { exact: true }).waitFor(WAIT);
  await page.getByText("campagne supprimée").waitFor(WAIT);
  assert.ok(await deletion.getByRole("button", { name: "Voir la campagne" }).isDisabled());
  await diff.locator("tr[data-path='']").getByText("(toute la campagne)").waitFor(WAIT);
  assert.deepEqual(policyProblems, []);
});

test("tablet width: the pages fit without scrolling sideways", async () => {
  await page.setViewportSize({ width: 768, height: 1024 });
  for (const [route, name] of [
    ["#/campaigns", "07-tablet-campaigns"],
    ["#/campaigns/ten-from-100", "08-tablet-results"],
    ["#/try", "09-tablet-try"],
  ]) {
    await page.goto(`${BASE}/${route}`);
    await page.locator("main h1").first().waitFor(WAIT);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `${route} overflows by ${overflow}px at 768px`);
    await shot(name);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("marketing simulates a draft over a file of baskets, reads the report and launches the draft", async () => {
  // A draft: 20 % from 50.00, with a 30.00 EUR budget. Over the four baskets below it grants
  // 12.00 (basket 1, the web) and 16.00 (basket 3, the app in store paris-1), then basket 4's
  // 20.00 no longer fits what is left: its budget runs out on 3 November. Basket 2 is under
  // 50.00. No live campaign of the tests above takes the app channel or shares a group.
  await api("POST", "/v1/campaigns", KEYS.marketing, {
    id: "e2e-sim",
    name: "Simulée −20 %",
    plugin: "threshold-discount",
    params: { tiers: [{ min_subtotal: "50", percent_off: "20" }] },
    limits: { budget: "30.00", budget_currency: "EUR" },
  });
  const basket = (at, channel, store, price) =>
    JSON.stringify({
      currency: "EUR",
      at,
      channel,
      ...(store ? { store } : {}),
      lines: [{ id: "1", sku: "SIM-1", quantity: 1, unit_price: price }],
    });
  const baskets = [
    basket("2026-11-02T10:00:00+01:00", "web", null, "60.00"),
    basket("2026-11-02T15:00:00+01:00", "app", "paris-1", "30.00"),
    basket("2026-11-03T09:00:00+01:00", "app", "paris-1", "80.00"),
    basket("2026-11-03T12:00:00+01:00", "web", null, "100.00"),
  ];
  const file = (name, lines) => ({
    name,
    mimeType: "application/x-ndjson",
    buffer: Buffer.from(lines.join("\n") + "\n"),
  });

  await page.goto(`${BASE}/#/campaigns`);
  await page.locator("nav").getByRole("link", { name: "Simulations" }).click();
  await page.getByRole("heading", { name: "Simulations", exact: true }).waitFor(WAIT);
  const form = page.locator("form.new-simulation");
  const simulate = form.getByRole("button", { name: "Simuler" });

  // Nothing chosen: said next to the drafts, nothing sent.
  await form.locator("input[name=source][value=ndjson]").check();
  await simulate.click();
  await form
    .locator("fieldset.drafts")
    .getByRole("alert")
    .getByText("Choisissez au moins un brouillon, ou collez-en un.")
    .waitFor(WAIT);
  await form.locator("input[name=draft-e2e-sim]").check();

  // A file whose second basket the API refuses: its error next to the file's field.
  const bad = JSON.parse(baskets[1]);
  bad.lines[0].quantity = 0;
  await form
    .locator("input[name=ndjson]")
    .setInputFiles(file("mauvais.ndjson", [baskets[0], JSON.stringify(bad)]));
  await form.getByText("2 paniers dans « mauvais.ndjson »").waitFor(WAIT);
  await form.locator("input[name=timezone]").fill("Europe/Paris");
  await form.locator("input[name=currency]").fill("eur");
  await simulate.click();
  await form
    .locator(".field", { has: page.locator("input[name=ndjson]") })
    .getByRole("alert")
    .getByText(/^line 2: \/lines\/0\/quantity/)
    .waitFor(WAIT);

  // The good file: the job runs, then shows its report.
  await form.locator("input[name=ndjson]").setInputFiles(file("paniers.ndjson", baskets));
  await form.getByText("4 paniers dans « paniers.ndjson »").waitFor(WAIT);
  await simulate.click();
  await page.waitForURL((url) => /^#\/simulations\/[^/]+$/.test(url.hash), WAIT);
  const job = page.locator("[data-testid=simulation]");
  await page.locator("[data-testid=simulation][data-status=done]").waitFor({ timeout: 60_000 });
  const id = decodeURIComponent(new URL(page.url()).hash.split("/")[2]);
  const stored = await api("GET", `/v1/simulations/${id}`, KEYS.marketing);
  assert.equal(stored.status, "done");
  assert.equal(stored.currency, "EUR");
  assert.equal(stored.timezone, "Europe/Paris");
  assert.equal(stored.report.discount.drafts, "28.00");

  // The figures, in French: 4 baskets, 2 touched (50 %), 28,00 € granted by the draft.
  await job.getByRole("progressbar").getByText("4 / 4 paniers").waitFor(WAIT);
  assert.equal(await job.getByTestId("sim-baskets").locator("strong").innerText(), "4");
  assert.equal(await job.getByTestId("sim-touched").locator("strong").innerText(), "2");
  await job
    .getByTestId("sim-touched")
    .getByText(/^50\s%\sdes paniers$/)
    .waitFor(WAIT);
  assert.equal(
    await job.getByTestId("sim-drafts-discount").locator("strong").innerText(),
    `28,00${NBSP}€`,
  );
  await job.getByRole("img", { name: "Par jour (Europe/Paris)" }).waitFor(WAIT);
  const channel = (key) => job.locator(`[data-testid=sim-by-channel] tr[data-key="${key}"]`);
  assert.deepEqual(await channel("app").locator("td").allInnerTexts(), [
    "app",
    "2",
    "1",
    `16,00${NBSP}€`,
    `16,00${NBSP}€`,
  ]);
  assert.equal(await channel("web").locator("td").nth(3).innerText(), `12,00${NBSP}€`);
  await job.locator(`[data-testid=sim-by-store] tr[data-key="paris-1"]`).waitFor(WAIT);
  const draft = job.locator("table.simulation-campaigns tr[data-campaign=e2e-sim]");
  await draft.getByText("brouillon", { exact: true }).waitFor(WAIT);
  assert.match(await draft.getByTestId("runs-out").innerText(), /^3 nov\.? 2026 au panier n° 4$/);
  await shot("22-simulation");

  // The list shows it, done.
  await page.goto(`${BASE}/#/simulations`);
  const row = page.locator(`table.simulation-list tr[data-simulation="${id}"]`);
  await row.locator(".badge.simulation.done").waitFor(WAIT);
  await row.getByText("e2e-sim").waitFor(WAIT);
  await row.getByRole("link").click();
  await page.locator("[data-testid=simulation][data-status=done]").waitFor(WAIT);

  // Launched from there, active: the stored draft is now the campaign as simulated.
  const launch = page.locator("table.launch-drafts tr[data-draft=e2e-sim]");
  assert.equal(await launch.locator("select").inputValue(), "active");
  await launch.getByRole("button", { name: "Lancer la campagne" }).click();
  await launch.getByTestId("launched").locator(".badge.active").waitFor(WAIT);
  const launched = await api("GET", "/v1/campaigns/e2e-sim", KEYS.marketing);
  assert.equal(launched.status, "active");
  assert.deepEqual(launched.params.tiers, [{ min_subtotal: "50", percent_off: "20" }]);
  assert.equal(launched.limits.budget, "30.00");
  // Ended, so that no later test's basket meets it.
  await api("POST", "/v1/campaigns/e2e-sim/end", KEYS.marketing);
  assert.deepEqual(policyProblems, []);
});

test("ops uploads a plugin version and rolls it back", async () => {
  await page.click("text=Se déconnecter");
  await signIn(KEYS.ops);
  await page.getByRole("heading", { name: "Mécaniques" }).waitFor(WAIT);
  assert.equal(
    await page.locator("nav").getByText("Campagnes").count(),
    0,
    "ops sees no campaign pages",
  );
  // Ops simulates too (pasting drafts: the campaigns are marketing's).
  await page.locator("nav").getByRole("link", { name: "Simulations" }).waitFor(WAIT);
  const flip = page.locator("article[data-plugin=flip]");
  assert.equal(await flip.getByTestId("latest").innerText(), "1.0.0");
  await page.fill("form.upload input[name=name]", "flip");
  await page.setInputFiles("form.upload input[name=wasm]", UPLOAD);
  await page.getByRole("button", { name: "Envoyer", exact: true }).click();
  await page.getByText("flip : la version 2.0.0 est désormais en service").waitFor(WAIT);
  assert.equal(await flip.getByTestId("latest").innerText(), "2.0.0");
  await flip.locator("details summary").click();
  await shot("10-plugins");
  await flip.getByRole("button", { name: "Revenir à la version précédente" }).click();
  await page.getByText("flip : retour à la version 1.0.0").waitFor(WAIT);
  assert.equal(await flip.getByTestId("latest").innerText(), "1.0.0");
  assert.equal((await api("GET", "/v1/plugins/flip", KEYS.ops)).latest, "1.0.0");
});

test("ops sees a plugin's language, limits and latest errors on its page", async () => {
  // Signed in as ops. A hostile campaign that panics, only on a channel no other test
  // uses, fails once for one basket, then ends.
  await api("POST", "/v1/campaigns", KEYS.marketing, {
    id: "e2e-panics",
    name: "e2e panics",
    plugin: "hostile",
    status: "active",
    params: { mode: "panic" },
    audience: { channels: ["kiosk"] },
  });
  await api("POST", "/v1/evaluate", KEYS.channel, {
    currency: "EUR",
    channel: "kiosk",
    lines: [{ id: "1", sku: "SKU-1", quantity: 1, unit_price: "40.00" }],
  });
  await api("POST", "/v1/campaigns/e2e-panics/end", KEYS.marketing);
  await page.goto(`${BASE}/#/plugins/hostile`);
  const hostile = page.locator("article[data-plugin=hostile]");
  await hostile.getByRole("heading", { name: "Dernières erreurs" }).waitFor(WAIT);
  assert.equal(await hostile.getByTestId("language").first().innerText(), "Rust");
  const fuel = hostile.locator("[data-testid=limits] tr[data-limit=fuel]");
  assert.match(await fuel.innerText(), /valeur par défaut du service/);
  const errors = hostile.getByTestId("errors");
  // The page shows the list it read on the last visit until this visit's read answers.
  await errors.locator("tbody tr", { hasText: "e2e-panics" }).waitFor(WAIT);
  assert.equal(await errors.locator("tbody tr").count(), 1);
  const row = await errors.locator("tbody tr").first().innerText();
  assert.match(row, /e2e-panics/);
  assert.match(row, /plugin_error/);
  await shot("23-plugin-errors");
  // A plugin that never failed says so.
  await page.goto(`${BASE}/#/plugins/free-gift`);
  await page.getByTestId("no-errors").waitFor(WAIT);
});

test("ops reads a plugin's shadow report, ends the shadow and starts it again", async () => {
  // Signed in as ops (the test above). console.rs uploaded free-gift 1.0.2 straight into
  // shadow of the live 1.0.0, at 100 %.
  await page.goto(`${BASE}/#/plugins`);
  await page
    .locator("article[data-plugin=free-gift]")
    .getByRole("link", { name: "Version en ombre", exact: true })
    .click();
  await page.getByTestId("shadow-report").waitFor(WAIT);
  assert.equal(await page.getByTestId("shadow-version").innerText(), "1.0.2");
  assert.equal(await page.getByTestId("live-version").innerText(), "1.0.0");
  assert.match(await page.getByTestId("sample-percent").innerText(), /^100\s*%$/);
  await page.getByRole("heading", { name: "Divergences par nature" }).waitFor(WAIT);
  await page.getByRole("heading", { name: "Coût par évaluation" }).waitFor(WAIT);
  await page.getByRole("button", { name: "Mettre en service" }).waitFor(WAIT);
  await shot("20-shadow");

  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Arrêter l'ombre" }).click();
  await page.getByText("free-gift : l'ombre de la version 1.0.2 est arrêtée.").waitFor(WAIT);
  await page.getByTestId("no-shadow").waitFor(WAIT);
  const gone = await fetch(`${BASE}/v1/plugins/free-gift/shadow`, {
    headers: { Authorization: `Bearer ${KEYS.ops}` },
  });
  assert.equal(gone.status, 404);
  assert.equal((await api("GET", "/v1/plugins/free-gift", KEYS.ops)).latest, "1.0.0");

  // Started again from the form, on a quarter of the evaluations.
  await page.selectOption("form.start-shadow select[name=version]", "1.0.2");
  await page.fill("form.start-shadow input[name=sample_percent]", "25");
  await page.getByRole("button", { name: "Lancer l'ombre" }).click();
  await page.getByTestId("shadow-report").waitFor(WAIT);
  assert.equal(await page.getByTestId("shadow-version").innerText(), "1.0.2");
  assert.match(await page.getByTestId("sample-percent").innerText(), /^25\s*%$/);
  const report = await api("GET", "/v1/plugins/free-gift/shadow", KEYS.ops);
  assert.equal(report.sample_percent, 25);
  assert.equal(report.live_version, "1.0.0");
  await api("DELETE", "/v1/plugins/free-gift/shadow", KEYS.ops);
});

test("ops looks an order and an evaluation up in the journal, and replays the evaluation", async () => {
  // Signed in as ops (the tests above). A commit is journalled with its order; an
  // evaluation is journalled (at 100 % here) a moment after its answer.
  const basket = {
    currency: "EUR",
    channel: "web",
    lines: [
      { id: "1", sku: "TSHIRT-M", quantity: 2, unit_price: "19.90" },
      { id: "2", sku: "JEANS-32", quantity: 1, unit_price: "79.00" },
    ],
  };
  const order = await api("POST", "/v1/redemptions", KEYS.channel, {
    order_id: "order-j-1",
    ...basket,
  });
  assert.ok(order.applied.length > 0, "a campaign applies to the order");
  await page.locator("nav").getByRole("link", { name: "Journal" }).click();
  await page.getByRole("heading", { name: "Journal", exact: true }).waitFor(WAIT);

  // The order, by its id: when it was committed, its totals, its campaigns.
  await page.fill("input[name=journal-search]", "order-j-1");
  await page.getByRole("button", { name: "Rechercher" }).click();
  const shown = page.locator("[data-testid=journal-order][data-order=order-j-1]");
  await shown.waitFor(WAIT);
  await shown.getByRole("heading", { name: "Commande order-j-1" }).waitFor(WAIT);
  // Its totals, in euros as French writes them.
  assert.match(await shown.getByTestId("journal-total").innerText(), /,\d\d\s€$/);
  assert.match(await shown.getByTestId("journal-discount").innerText(), /,\d\d\s€$/);
  const kept = await api("GET", "/v1/journal/orders/order-j-1", KEYS.ops);
  for (const { campaign, sha256 } of kept.campaigns) {
    const row = page.locator(`table.journal-campaigns tr[data-campaign="${campaign.id}"]`);
    await row.getByText(`${campaign.plugin}@${campaign.plugin_version}`).waitFor(WAIT);
    await row.getByText(sha256.slice(0, 12), { exact: true }).waitFor(WAIT);
  }
  assert.equal(
    await shown.getByTestId("journal-order-evaluation").innerText(),
    order.evaluation_id,
  );

  // An id that is neither: said so (the order lookup's 404 falls back to the evaluations).
  await page.fill("input[name=journal-search]", "order-j-none");
  await page.getByRole("button", { name: "Rechercher" }).click();
  await page.getByTestId("journal-none").waitFor(WAIT);

  // An evaluation, once journalled: when it was priced, its campaigns, and its replay.
  const evaluated = await api("POST", "/v1/evaluate", KEYS.channel, basket);
  const evaluationId = evaluated.evaluation_id;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${BASE}/v1/journal/${evaluationId}`, {
      headers: { Authorization: `Bearer ${KEYS.ops}` },
    });
    if (response.status === 200) break;
    assert.equal(response.status, 404, `GET /v1/journal/${evaluationId}`);
    assert.ok(Date.now() < deadline, `${evaluationId} is never journalled`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await page.fill("input[name=journal-search]", evaluationId);
  await page.getByRole("button", { name: "Rechercher" }).click();
  const entry = page.locator(`[data-testid=journal-evaluation][data-evaluation="${evaluationId}"]`);
  await entry.waitFor(WAIT);
  assert.match(await entry.getByTestId("journal-total").innerText(), /,\d\d\s€$/);
  for (const applied of evaluated.applied) {
    await page
      .locator(`table.journal-campaigns tr[data-campaign="${applied.campaign}"]`)
      .waitFor(WAIT);
  }
  await entry.getByRole("button", { name: "Rejouer" }).click();
  await page
    .getByTestId("replay-identical")
    .getByText("Rejouée : la réponse est identique")
    .waitFor(WAIT);
  await shot("21-journal");
  assert.deepEqual(policyProblems, []);
});

test("ops subscribes a webhook, sees its secret once, watches a delivery die, retries it and deletes the webhook", async () => {
  // Signed in as ops (the test above). The server retries every ~100 ms for 2 s and lets
  // webhooks reach private addresses: nothing listens on 127.0.0.1:9, so a delivery fails
  // with a connection error and is a dead letter within seconds.
  const URL_DOWN = "http://127.0.0.1:9/hook";
  await page.locator("nav").getByRole("link", { name: "Webhooks" }).click();
  await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor(WAIT);
  const form = page.locator("form.create-webhook");
  const create = form.getByRole("button", { name: "Créer le webhook" });
  const urlField = form.locator(".field", { has: page.locator("input[name=url]") });

  // No event chosen: said in the browser, nothing sent. Then a URL the API refuses: its
  // error next to the field.
  const posted = [];
  const onRequest = (request) =>
    request.method() === "POST" && request.url().endsWith("/v1/webhooks") && posted.push(request);
  page.on("request", onRequest);
  await form.locator("input[name=url]").fill("pas une adresse");
  await create.click();
  await form
    .locator("fieldset.events")
    .getByRole("alert")
    .getByText("Choisissez au moins un type d'événement, ou tous.")
    .waitFor(WAIT);
  assert.equal(posted.length, 0, "a webhook without events is not sent");
  await form.locator("input[name=all-events]").check();
  assert.ok(await form.locator("input[name='event-reward.issued']").isDisabled());
  await create.click();
  await urlField.getByRole("alert").waitFor(WAIT);
  page.off("request", onRequest);
  assert.equal(posted.length, 1);

  // Created: the secret is shown this once, with the warning.
  await form.locator("input[name=url]").fill(URL_DOWN);
  await form.locator("input[name=description]").fill("CRM de test");
  await create.click();
  await page.getByText("il ne sera plus jamais affiché").waitFor(WAIT);
  assert.equal(await urlField.getByRole("alert").count(), 0);
  const secret = (await page.getByTestId("webhook-secret").innerText()).trim();
  assert.match(secret, /^whsec_/);
  const listed = await api("GET", "/v1/webhooks", KEYS.ops);
  const hook = listed.webhooks.find((w) => w.url === URL_DOWN);
  assert.ok(hook, "the webhook is stored");
  assert.deepEqual(hook.events, ["*"]);
  assert.equal(hook.description, "CRM de test");
  assert.ok(!JSON.stringify(listed).includes(secret), "the API lists no secret");
  // The page shows the new webhook's deliveries.
  await page.waitForURL((url) => url.hash === `#/webhooks/${hook.id}`, WAIT);
  const row = page.locator(`tr[data-webhook="${hook.id}"]`);
  await row.getByText("Tous les événements").waitFor(WAIT);
  await row.getByText("CRM de test").waitFor(WAIT);
  const deliveries = page.getByTestId("deliveries");
  await deliveries.getByRole("heading", { name: "Livraisons" }).waitFor(WAIT);
  // Acknowledged, the secret is gone, and a reload does not bring it back.
  await page.getByRole("button", { name: "C'est noté" }).click();
  assert.equal(await page.getByTestId("webhook-secret").count(), 0);
  await page.reload();
  await deliveries.getByRole("heading", { name: "Livraisons" }).waitFor(WAIT);
  await row.waitFor(WAIT);
  assert.ok(!(await page.locator("main").innerText()).includes(secret), "shown again");

  // An order committed by a till: its event goes to the webhook, fails, and dies.
  await api("POST", "/v1/redemptions", KEYS.channel, {
    order_id: "wh-1",
    currency: "EUR",
    channel: "web",
    customer: { id: "c-wh" },
    lines: [{ id: "1", sku: "SKU-1", quantity: 1, unit_price: "10.00" }],
  });
  const filter = deliveries.getByRole("group", { name: "Statut" });
  await filter.getByRole("button", { name: "Lettres mortes" }).click();
  const delivery = deliveries
    .locator("table.delivery-list tbody tr", { hasText: "redemption.committed" })
    .filter({ hasText: "c-wh" });
  await delivery.locator(".badge.dead").waitFor({ timeout: 30_000 });
  await delivery.getByText("Commande validée").waitFor(WAIT);
  await delivery.getByText("lettre morte", { exact: true }).waitFor(WAIT);
  assert.ok((await delivery.getByTestId("last-error").innerText()).trim().length > 0);
  assert.ok(Number(await delivery.getByTestId("attempts").innerText()) >= 1);
  await row
    .getByTestId("count-dead")
    .getByText(/^[1-9]/)
    .waitFor(WAIT);
  await shot("17-webhooks");

  // Retried from its row: queued again, then dead again once the horizon has passed.
  await filter.getByRole("button", { name: "Toutes" }).click();
  await delivery.locator(".badge.dead").waitFor(WAIT);
  // The row shows the answer of the retry (pending) until the next refresh, which may come
  // at any moment and find it tried and dead again: watched at every frame from the click.
  const eventId = await delivery.getAttribute("data-event");
  const pendingSeen = page.waitForFunction(
    (id) =>
      document.querySelector(`tr[data-event="${id}"] .badge.pending`)?.textContent === "en attente",
    eventId,
    { polling: "raf", ...WAIT },
  );
  await delivery.getByRole("button", { name: "Réessayer", exact: true }).click();
  await pendingSeen;
  await deliveries.getByText(`La livraison ${eventId} est remise en file`).waitFor(WAIT);
  await delivery.locator(".badge.dead").waitFor({ timeout: 30_000 });
  // Every dead letter at once.
  await deliveries
    .getByRole("button", { name: /^Réessayer (la lettre morte|les \d+ lettres mortes)$/ })
    .click();
  await deliveries.getByText(/lettres? mortes? remises? en file/).waitFor(WAIT);
  await delivery.locator(".badge.dead").waitFor({ timeout: 30_000 });
  assert.deepEqual(policyProblems, []);

  // Deleted, once confirmed.
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: "Supprimer" }).click();
  await page.getByText(`Le webhook vers « ${URL_DOWN} » est supprimé.`).waitFor(WAIT);
  await row.waitFor({ state: "detached", ...WAIT });
  assert.ok(!(await api("GET", "/v1/webhooks", KEYS.ops)).webhooks.some((w) => w.id === hook.id));
  // Its page, asked for again, says it is gone.
  await page.goto(`${BASE}/#/webhooks/${hook.id}`);
  await page.getByTestId("webhook-unknown").waitFor(WAIT);
});

test("an admin creates a key, sees it once, and revokes it", async () => {
  await page.click("text=Se déconnecter");
  await signIn(KEYS.admin);
  await page.getByRole("heading", { name: "Campagnes" }).waitFor(WAIT);
  await page.locator("nav").getByRole("link", { name: "Clés" }).click();
  await page.getByRole("heading", { name: "Clés" }).waitFor(WAIT);
  // The configured keys are listed, never their value.
  await page.getByText("ops on call").waitFor(WAIT);
  const listed = await page.locator("main").innerText();
  for (const key of Object.values(KEYS)) assert.ok(!listed.includes(key), "a key is shown");
  await page.selectOption("form.create-key select[name=role]", "channel");
  await page.fill("form.create-key input[name=label]", "Caisses de Lyon");
  await page.getByRole("button", { name: "Créer la clé" }).click();
  await page.getByText("elle ne sera plus jamais affichée").waitFor(WAIT);
  const key = (await page.getByTestId("new-key").innerText()).trim();
  assert.match(key, /^rk_[0-9a-f]{64}$/);
  const me = (k) => fetch(BASE + "/v1/me", { headers: { Authorization: `Bearer ${k}` } });
  assert.equal((await me(key)).status, 200, "the new key works");
  const row = page.locator("tr", { hasText: "Caisses de Lyon" });
  await row.getByText("active").waitFor(WAIT);
  await shot("13-keys");
  // Gone once acknowledged: the key is never shown again.
  await page.getByRole("button", { name: "C'est noté" }).click();
  assert.equal(await page.getByTestId("new-key").count(), 0);
  await page.reload();
  await page.getByRole("heading", { name: "Clés" }).waitFor(WAIT);
  assert.ok(!(await page.locator("main").innerText()).includes(key), "shown again");
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: "Révoquer" }).click();
  await page.getByText("La clé « Caisses de Lyon » est révoquée.").waitFor(WAIT);
  await row.getByText("révoquée le").waitFor(WAIT);
  assert.equal((await me(key)).status, 401, "the revoked key is refused");
});

test("a 401 or 403 from the API sends the person back to sign-in with the reason", async () => {
  // The key is revoked under the console's feet: its next call goes out with a key the real
  // API no longer knows (401), then with a key that lacks the role (403).
  const swapKey = (key) => (route) =>
    route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${key}` } });
  // From a page that lists no plugins, one navigation makes the one refused call. (A reload
  // after it raced the 401: landing first, the 401 signed out with the reason, and the
  // reload then showed a bare sign-in page.)
  await page.goto(BASE + "/#/keys");
  await page.getByRole("heading", { name: "Clés" }).waitFor(WAIT);
  await page.route("**/v1/plugins", swapKey("revoked-key"));
  await page.goto(BASE + "/#/plugins");
  await page.getByText("Session fermée : l'API n'accepte plus cette clé").waitFor(WAIT);
  await page.unroute("**/v1/plugins");
  await signIn(KEYS.ops);
  await page.getByRole("heading", { name: "Mécaniques" }).waitFor(WAIT);
  await page.route("**/v1/plugins", swapKey(KEYS.channel));
  await page.reload();
  await page.getByText("Session fermée : cette clé n'a pas le droit de faire cela").waitFor(WAIT);
  await page.unroute("**/v1/plugins");
  await shot("11-signed-out");
});

test("no page broke the Content Security Policy", () => {
  assert.deepEqual(policyProblems, []);
});
