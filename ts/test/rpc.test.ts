import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient, registerHandlers, Code, LkrpcError, encodeMessage } from "../src/index.js";
import {
  AgentState,
  GetStatusResponseSchema,
  PingResponseSchema,
  SummarizeRequestSchema,
  TranscriptSchema,
  VoiceAgent,
  VoiceUnavailableSchema,
} from "../gen/agent/v1/agent_pb.js";
import { FakeNetwork, FakeRoom, FakeRpcError } from "./fakeroom.js";

function pair(): { agent: FakeRoom; front: FakeRoom } {
  const net = new FakeNetwork();
  return { agent: net.join("agent"), front: net.join("frontend") };
}

const agentImpl = {
  getStatus: () => ({ state: AgentState.LISTENING, voiceId: "alloy" }),
  ping: () => create(PingResponseSchema, { time: { seconds: 5n } }),
  summarize: (req: { document?: { text: string } }) => ({ summary: req.document?.text.slice(0, 5) ?? "" }),
  annotateTranscript: (req: { transcript?: { utterances: { text: string }[] } }, ctx: { callerIdentity: string }) => ({
    transcript: { utterances: (req.transcript?.utterances ?? []).map((u) => ({ ...u, speaker: ctx.callerIdentity })) },
  }),
  setVoice: (req: { voiceId: string }) => {
    throw new LkrpcError(4040, `voice ${req.voiceId} is not available`, {
      details: [{ desc: VoiceUnavailableSchema, value: { voiceId: req.voiceId, availableVoiceIds: ["alloy", "echo"] } }],
    });
  },
};

test("a typed call reaches a typed handler and resolves to a typed message", async () => {
  const { agent, front } = pair();
  const unregister = registerHandlers(VoiceAgent, agent, agentImpl, { RpcError: FakeRpcError });
  const client = createClient(VoiceAgent, front, "agent");
  const status = await client.getStatus({});
  assert.equal(status.$typeName, "example.agent.v1.GetStatusResponse");
  assert.equal(status.state, AgentState.LISTENING);
  assert.equal(status.voiceId, "alloy");
  const pong = await client.ping({});
  assert.equal(pong.time?.seconds, 5n);
  assert.deepEqual(
    front.calls.map((c) => [c.method, c.payload, c.responseTimeout]),
    [
      ["example.agent.v1.VoiceAgent/GetStatus", "{}", 10000],
      ["ping", "{}", 10000],
    ],
  );
  unregister();
  assert.equal(agent.handlers.size, 0);
});

test("the method's codec, and the handler answers in the caller's form", async () => {
  const { agent, front } = pair();
  registerHandlers(VoiceAgent, agent, agentImpl, { RpcError: FakeRpcError });
  const replies: string[] = [];
  const client = createClient(VoiceAgent, front, "agent");
  const inner = front.localParticipant.performRpc;
  front.answer = async (p) => {
    front.answer = undefined;
    const r = await inner(p);
    replies.push(r);
    return r;
  };
  const t = await client.annotateTranscript({ transcript: { utterances: [{ text: "hi" }] } });
  assert.equal(t.transcript?.utterances[0]?.speaker, "frontend");
  const sent = front.calls.at(-1)!;
  assert.equal(sent.method, "example.agent.v1.VoiceAgent/AnnotateTranscript");
  assert.match(sent.payload, /^[A-Za-z0-9+/]+=*$/, "binary, per the codec option");
  assert.match(replies[0]!, /^[A-Za-z0-9+/]+=*$/, "binary reply");

  // The same method called with JSON is answered in JSON.
  front.answer = async (p) => {
    front.answer = undefined;
    const r = await inner(p);
    replies.push(r);
    return r;
  };
  await client.annotateTranscript({ transcript: { utterances: [{ text: "hi" }] } }, { codec: "json" });
  assert.equal(front.calls.at(-1)!.payload, '{"transcript":{"utterances":[{"text":"hi"}]}}');
  assert.equal(JSON.parse(replies[1]!).transcript.utterances[0].speaker, "frontend");
});

test("an empty request is answered in the method's codec", async () => {
  const { agent } = pair();
  registerHandlers(VoiceAgent, agent, agentImpl, { RpcError: FakeRpcError });
  const h = agent.handlers.get("example.agent.v1.VoiceAgent/AnnotateTranscript")!;
  const reply = await h({ requestId: "r", callerIdentity: "x", payload: "", responseTimeout: 1 });
  assert.equal(reply, "CgA=", "the response (an empty transcript) in binary");
  const h2 = agent.handlers.get("example.agent.v1.VoiceAgent/GetStatus")!;
  assert.match(await h2({ requestId: "r", callerIdentity: "x", payload: "", responseTimeout: 1 }), /^\{/);
});

test("typed errors with details reach the caller as LkrpcError", async () => {
  const { agent, front } = pair();
  registerHandlers(VoiceAgent, agent, agentImpl, { RpcError: FakeRpcError });
  const client = createClient(VoiceAgent, front, "agent");
  await assert.rejects(client.setVoice({ voiceId: "nova" }), (e: unknown) => {
    assert.ok(e instanceof LkrpcError);
    assert.equal(e.code, 4040);
    assert.equal(e.message, "voice nova is not available");
    const [d] = e.findDetails(VoiceUnavailableSchema);
    assert.deepEqual(d?.availableVoiceIds, ["alloy", "echo"]);
    assert.equal(e.details[0]?.$typeName, "example.agent.v1.VoiceUnavailable");
    return true;
  });
});

test("a handler's non-RPC error is 1500 without its text unless errorText", async (t) => {
  const { agent, front } = pair();
  const seen: unknown[] = [];
  const failing = { getStatus: () => Promise.reject(new Error("database password is hunter2")) };
  const unregister = registerHandlers(VoiceAgent, agent, failing, {
    RpcError: FakeRpcError,
    onError: (e) => seen.push(e),
  });
  const client = createClient(VoiceAgent, front, "agent");
  await assert.rejects(client.getStatus({}), { code: 1500, message: "Application error in method handler" });
  assert.equal(seen.length, 1, "the text goes to onError");
  unregister();

  registerHandlers(VoiceAgent, agent, failing, { RpcError: FakeRpcError, errorText: true, onError: () => {} });
  await assert.rejects(client.getStatus({}), { code: 1500, message: "database password is hunter2" });

  // Default onError logs with console.error.
  const log = t.mock.method(console, "error", () => {});
  const { agent: a2, front: f2 } = pair();
  registerHandlers(VoiceAgent, a2, failing, { RpcError: FakeRpcError });
  await assert.rejects(createClient(VoiceAgent, f2, "agent").getStatus({}), { code: 1500 });
  assert.equal(log.mock.callCount(), 1);
});

test("an SDK RpcError thrown by a handler passes as is", async () => {
  const { agent, front } = pair();
  registerHandlers(VoiceAgent, agent, { getStatus: () => { throw new FakeRpcError(2005, "mine", "d"); } }, { RpcError: FakeRpcError });
  await assert.rejects(createClient(VoiceAgent, front, "agent").getStatus({}), { code: 2005, message: "mine", data: "d" });
});

test("a method left out answers 1400", async () => {
  const { agent, front } = pair();
  registerHandlers(VoiceAgent, agent, { ping: agentImpl.ping }, { RpcError: FakeRpcError });
  assert.equal(agent.handlers.size, 5, "every method is registered");
  await assert.rejects(createClient(VoiceAgent, front, "agent").getStatus({}), {
    code: Code.UNSUPPORTED_METHOD,
    message: "Method not supported at destination",
  });
});

test("registration is all or nothing, and unregister is idempotent", () => {
  const { agent } = pair();
  agent.failRegistrationAt = 3;
  assert.throws(
    () => registerHandlers(VoiceAgent, agent, agentImpl, { RpcError: FakeRpcError }),
    /lkrpc: register example.agent.v1.VoiceAgent: registration refused/,
  );
  assert.equal(agent.handlers.size, 0, "the three registered first were removed");
  agent.failRegistrationAt = -1;
  const unregister = registerHandlers(VoiceAgent, agent, agentImpl, { RpcError: FakeRpcError });
  assert.throws(() => registerHandlers(VoiceAgent, agent, agentImpl, { RpcError: FakeRpcError }), /already registered/);
  assert.equal(agent.handlers.size, 5, "the failed second registration left the first alone");
  unregister();
  unregister();
  assert.equal(agent.handlers.size, 0);
  assert.throws(
    () => registerHandlers(VoiceAgent, agent, { ping: 5 } as never, { RpcError: FakeRpcError }),
    /Ping: implementation is not a function/,
  );
  assert.throws(() => registerHandlers(VoiceAgent, agent, agentImpl, {} as never), /needs options.RpcError/);
  assert.equal(agent.handlers.size, 0);
});

test("a malformed request is 2400, naming the method", async () => {
  const { agent } = pair();
  registerHandlers(VoiceAgent, agent, agentImpl, { RpcError: FakeRpcError });
  const h = agent.handlers.get("ping")!;
  await assert.rejects(h({ requestId: "r", callerIdentity: "x", payload: '{"time": 5', responseTimeout: 1 }), (e: unknown) => {
    assert.ok(e instanceof FakeRpcError);
    assert.equal(e.code, 2400);
    assert.match(e.message, /^request of ping does not decode: payload is not valid JSON for example.agent.v1.PingRequest/);
    return true;
  });
});

test("size limits: 1402 before sending, 1402/1504 at the handler, 1504 at the caller", async () => {
  const { agent, front } = pair();
  const client = createClient(VoiceAgent, front, "agent");
  const big = { document: { text: "x".repeat(16 * 1024 * 1024) } };
  await assert.rejects(client.summarize(big), {
    code: 1402,
    message: "Request payload too large: 16777240 bytes, limit 16777216 for example.agent.v1.VoiceAgent/Summarize",
  });
  assert.equal(front.calls.length, 0, "nothing was sent");

  registerHandlers(VoiceAgent, agent, { summarize: () => ({ summary: "y".repeat(16 * 1024 * 1024) }) }, { RpcError: FakeRpcError });
  const h = agent.handlers.get("example.agent.v1.VoiceAgent/Summarize")!;
  await assert.rejects(h({ requestId: "r", callerIdentity: "x", payload: encodeMessage(SummarizeRequestSchema, create(SummarizeRequestSchema, big), "json"), responseTimeout: 1 }), { code: 1402 });
  await assert.rejects(client.summarize({}), { code: 1504, message: /^Response payload too large: 16777230 bytes, limit 16777216 for example.agent.v1.VoiceAgent\/Summarize$/ });

  front.answer = async () => JSON.stringify({ summary: "z".repeat(16 * 1024 * 1024) });
  await assert.rejects(client.summarize({}), { code: 1504 });
});

test("a reply that does not decode is 2401", async () => {
  const { front } = pair();
  front.answer = async () => '{"voiceId": 5}';
  await assert.rejects(createClient(VoiceAgent, front, "agent").getStatus({}), (e: unknown) => {
    assert.ok(e instanceof LkrpcError);
    assert.equal(e.code, Code.MALFORMED_RESPONSE);
    assert.match(e.message, /^reply of example.agent.v1.VoiceAgent\/GetStatus does not decode/);
    return true;
  });
});

test("timeouts: call option, then client option, then the method's timeout_ms", async () => {
  const { front } = pair();
  front.answer = async () => "{}";
  const client = createClient(VoiceAgent, front, "agent", { timeoutMs: 777 });
  await client.getStatus({});
  await client.getStatus({}, { timeoutMs: 55 });
  await createClient(VoiceAgent, front, "agent").summarize({});
  assert.deepEqual(front.calls.map((c) => c.responseTimeout), [777, 55, 60000]);
});

test("SDK failures reject with LkrpcError; other failures as they are", async () => {
  const { front } = pair();
  const client = createClient(VoiceAgent, front, "nobody");
  await assert.rejects(client.ping({}), (e: unknown) => e instanceof LkrpcError && e.code === 1401);
  front.answer = () => Promise.reject(new TypeError("not connected"));
  await assert.rejects(client.ping({}), TypeError);
});

test("an aborted call rejects with the signal's reason", async () => {
  const { front } = pair();
  front.answer = () => new Promise((resolve) => setTimeout(() => resolve("{}"), 50));
  const ac = new AbortController();
  const p = createClient(VoiceAgent, front, "agent").ping({}, { signal: ac.signal });
  ac.abort(new Error("user left"));
  await assert.rejects(p, /user left/);
  await assert.rejects(createClient(VoiceAgent, front, "agent").ping({}, { signal: ac.signal }), /user left/);
});

test("a request message or an init object", async () => {
  const { agent, front } = pair();
  registerHandlers(VoiceAgent, agent, { annotateTranscript: (req) => ({ transcript: req.transcript }) }, { RpcError: FakeRpcError });
  const client = createClient(VoiceAgent, front, "agent");
  const transcript = create(TranscriptSchema, { audio: new Uint8Array([1, 2, 3]), utterances: [{ text: "a", startMs: 9n }] });
  const r = await client.annotateTranscript({ transcript });
  assert.deepEqual(toBinary(TranscriptSchema, r.transcript!), toBinary(TranscriptSchema, transcript));
  void GetStatusResponseSchema;
});

test("onPhase reports the call's phases with sizes", async () => {
  const { agent, front } = pair();
  registerHandlers(VoiceAgent, agent, agentImpl, { RpcError: FakeRpcError });
  const phases: string[] = [];
  await createClient(VoiceAgent, front, "agent").summarize(
    { document: { text: "abcdefghij" } },
    { onPhase: (p) => phases.push(p.phase + ("requestBytes" in p ? ` ${p.requestBytes}` : "") + ("responseBytes" in p ? ` ${p.responseBytes}` : "")) },
  );
  assert.deepEqual(phases, ["encoded 34", "sent", "received 19", "decoded"]);
});

test("a room without registerRpcMethod (rtc-node) registers on its local participant", async () => {
  const handlers = new Map<string, (d: { requestId: string; callerIdentity: string; payload: string; responseTimeout: number }) => Promise<string>>();
  const nodeLikeRoom = {
    localParticipant: {
      performRpc: async () => "{}",
      registerRpcMethod: (m: string, h: never) => void handlers.set(m, h),
      unregisterRpcMethod: (m: string) => void handlers.delete(m),
    },
  };
  const unregister = registerHandlers(VoiceAgent, nodeLikeRoom, { ping: agentImpl.ping }, { RpcError: FakeRpcError });
  assert.equal(handlers.size, 5);
  assert.match(await handlers.get("ping")!({ requestId: "r", callerIdentity: "c", payload: "{}", responseTimeout: 1 }), /"time"/);
  unregister();
  assert.equal(handlers.size, 0);
  await assert.rejects(createClient(VoiceAgent, {}, "agent").ping({}), /no local participant: connect it first/);
});
