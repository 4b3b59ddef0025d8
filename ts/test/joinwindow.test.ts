// The join window on the TypeScript side: a call too large for a v1 packet
// to a participant the room has not announced yet waits for the
// announcement (the SDKs would fail it at once with 1402); smaller calls
// go at once; a destination that never appears is 1401.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient, registerHandlers, Code, LkrpcError } from "../src/index.js";
import { VoiceAgent } from "../gen/agent/v1/agent_pb.js";
import { FakeNetwork, FakeRpcError } from "./fakeroom.js";

const big = "x".repeat(20_000); // over the 15360-byte v1 packet limit

function setup() {
  const net = new FakeNetwork();
  const front = net.join("frontend");
  const agent = net.join("agent");
  net.unannounced.add("agent");
  registerHandlers(
    VoiceAgent,
    agent,
    { summarize: (req: { document?: { text: string } }) => ({ summary: String(req.document?.text.length) }) },
    { RpcError: FakeRpcError },
  );
  return { net, front, client: createClient(VoiceAgent, front, "agent") };
}

test("a large call to an unannounced destination waits for its announcement", async () => {
  const { net, front, client } = setup();
  const call = client.summarize({ document: { text: big } });
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(front.calls.length, 0, "the request went out before the room announced the destination");
  net.unannounced.delete("agent");
  const reply = await call;
  assert.equal(reply.summary, String(big.length));
  assert.equal(front.calls.length, 1);
});

test("a small call to an unannounced destination goes at once", async () => {
  const { front, client } = setup();
  const reply = await client.summarize({ document: { text: "short" } });
  assert.equal(reply.summary, "5");
  assert.equal(front.calls.length, 1);
});

test("a destination that is never announced is 1401 within the call's timeout, nothing sent", async () => {
  const { front, client } = setup();
  const start = Date.now();
  await assert.rejects(client.summarize({ document: { text: big } }, { timeoutMs: 300 }), (e: unknown) => {
    assert.ok(e instanceof LkrpcError);
    assert.equal(e.code, Code.RECIPIENT_NOT_FOUND);
    assert.match(e.data ?? "", /agent is not in the room/);
    return true;
  });
  const took = Date.now() - start;
  assert.ok(took >= 290 && took < 2000, `gave up after ${took} ms, want about 300`);
  assert.equal(front.calls.length, 0);
});

test("aborting ends the wait", async () => {
  const { front, client } = setup();
  const ac = new AbortController();
  const call = client.summarize({ document: { text: big } }, { signal: ac.signal });
  setTimeout(() => ac.abort(new Error("user left the page")), 50);
  await assert.rejects(call, /user left the page/);
  assert.equal(front.calls.length, 0);
});
