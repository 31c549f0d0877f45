import { test, expect, uniqueName } from "./helpers";

// The start page before (or without) its script: the browser posts the form itself and the
// server answers with the signed-in chat page, or back with what failed.
test.describe("without script", () => {
  test.use({ javaScriptEnabled: false });

  test("a guest joins and lands on the signed-in chat page", async ({ page }) => {
    const name = uniqueName("nojs");
    await page.goto("/");
    await page.getByLabel("Name").fill(name);
    await page.getByRole("button", { name: "Join the chat" }).click();
    await expect(page).toHaveURL(/\/chat/);
    // The server rendered the signed-in page (the chat itself needs the script), which says
    // so instead of offering controls that would do nothing.
    await expect(page.locator(".me-name")).toHaveText(name);
    // (Playwright's text matchers skip <noscript>; its textContent is what the page shows.)
    await expect(page.locator(".no-script")).toBeVisible();
    expect(await page.locator(".no-script").textContent()).toContain("The chat needs JavaScript");
    await expect(page.getByText("Pick a room on the left")).toBeHidden();
    await page.screenshot({ path: "artifacts/chat-without-script.png" });
  });

  test("a taken name and a wrong password say so and keep the name typed", async ({ page, browser }) => {
    const taken = uniqueName("held");
    const holder = await browser.newPage();
    await holder.goto("/");
    await holder.getByLabel("Name").fill(taken);
    await holder.getByRole("button", { name: "Join the chat" }).click();
    await expect(holder.locator(".me-name")).toHaveText(taken);

    await page.goto("/");
    await page.getByLabel("Name").fill(taken);
    await page.getByRole("button", { name: "Join the chat" }).click();
    await expect(page.getByRole("alert")).toContainText("is taken");
    await expect(page.getByLabel("Name")).toHaveValue(taken);

    await page.getByRole("tab", { name: "Sign in" }).click();
    await expect(page.getByRole("tab", { name: "Sign in" })).toHaveAttribute("aria-selected", "true");
    await page.getByLabel("Name").fill(uniqueName("ghost"));
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Wrong username or password");
    await expect(page.getByLabel("Password")).toBeVisible();
    await holder.context().close();
  });
});

test("with script, the tabs switch without a page load and keep what was typed", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator("html[data-hydrated]")).toHaveCount(1);
  const name = uniqueName("tabs");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("tab", { name: "Create account" }).click();
  await expect(page).toHaveURL(/mode=signup/);
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/chat/);
  await expect(page.locator(".me-name")).toHaveText(name);
});

test("the browser bundle comes compressed as the browser asks, the same bytes each way", async ({ page }) => {
  await page.goto("/");
  const wasm = await page.locator('link[rel="preload"][as="fetch"]').getAttribute("href");
  expect(wasm).toMatch(/^\/pkg\/chat\.[\w-]{8,}\.wasm$/);
  const fetched = async (encoding: string) => {
    const answer = await page.request.get(wasm!, { headers: { "accept-encoding": encoding } });
    expect(answer.status()).toBe(200);
    expect(answer.headers()["content-type"]).toBe("application/wasm");
    expect(answer.headers()["cache-control"]).toContain("immutable");
    return { coding: answer.headers()["content-encoding"], body: await answer.body() };
  };
  const plain = await fetched("identity");
  expect(plain.coding).toBeUndefined();
  // The body starts with the wasm magic number, and each encoding decodes to it exactly.
  expect([...plain.body.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
  for (const [asked, coding] of [["gzip, deflate, br, zstd", "br"], ["gzip", "gzip"]]) {
    const encoded = await fetched(asked);
    expect(encoded.coding).toBe(coding);
    expect(encoded.body.equals(plain.body), `${coding} decodes to the file`).toBe(true);
  }
  const missing = await page.request.get("/pkg/no-such-file.wasm");
  expect(missing.status()).toBe(404);
});
