// The player's session logic against focus-mock (see ../github-actions/frontend-against-mock.yml).
// The mock's clock is virtual: the tests move it instead of waiting for segments.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { FocusClient, progressLabel } from "./focus-client.mjs";

const base = process.env.FOCUS_API_BASE ?? "http://127.0.0.1:4010";
const organization = process.env.FOCUS_ORG_ID ?? "org_abc123";
const client = new FocusClient({ base, apiKey: process.env.FOCUS_API_KEY ?? "alice-dev-key", organization });

async function mock(path, body) {
  const answer = await fetch(`${base}/__mock/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  assert.equal(answer.status, 200, `the mock's control plane refused ${path}`);
}

beforeEach(() => mock("reset"));

test("a new session has no segment, then one after the first delay", async () => {
  const session = await client.start({ goal: "focus", targetMinutes: 30 });
  assert.equal(progressLabel(session), "0 of 15 segments ready");
  await mock("clock/advance", { seconds: 3 });
  assert.equal(progressLabel(await client.get(session.session_id)), "1 of 15 segments ready");
});

test("an ended session keeps its segments and makes no new ones", async () => {
  const { session_id: id } = await client.start({ goal: "focus", targetMinutes: 30 });
  await mock("clock/advance", { seconds: 13 });
  const ended = await client.end(id);
  assert.equal(progressLabel(ended), "Ended: 2 of 15 segments");
  await mock("clock/advance", { seconds: 600 });
  assert.deepEqual(await client.get(id), ended);
});

test("a missing key is a sign-in problem, reported with the API's code", async () => {
  const signedOut = new FocusClient({ base, apiKey: "", organization });
  await assert.rejects(signedOut.get("mfocus_7c2a9f4e1b8d"), { status: 401, code: "AUTHENTICATION_REQUIRED" });
});
