// Server streaming between two fake rooms (PROTOCOL.md §8): the client's
// AsyncIterable and the handler's async generator, over text streams cut
// into chunks at random places.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient, registerHandlers, Code, LkrpcError, type StreamHandlerContext } from "../src/index.js";
import { VoiceAgent, VoiceUnavailableSchema } from "../gen/agent/v1/agent_pb.js";
import { FakeNetwork, FakeRpcError, type FakeRoom } from "./fakeroom.js";

const opts = { RpcError: FakeRpcError, onError: () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pair(seed = 1) {
  const net = new FakeNetwork(seed);
  return { net, agent: net.join("agent"), front: net.join("frontend") };
}

/** What a handler saw of its call's end. */
interface Seen {
  yielded: number;
  aborted: boolean;
  finished: boolean; // its finally ran
  ctx?: StreamHandlerContext;
}

/** Serves answer: count chunks ("w0", " w1", …), pausing ms between them, then throws end when given. */
function serveAnswer(agent: FakeRoom, seen: Seen, o: { count?: number; ms?: number; end?: unknown; text?: (i: number) => string } = {}) {
  return registerHandlers(
    VoiceAgent,
    agent,
    {
      async *answer(req, ctx) {
        seen.ctx = ctx;
        try {
          const n = o.count ?? 5;
          for (let i = 0; i < n; i++) {
            if (ctx.signal.aborted) {
              seen.aborted = true;
              return;
            }
            if (o.ms) await sleep(o.ms);
            seen.yielded++;
            yield { text: o.text ? o.text(i) : `${i === 0 ? "" : " "}w${i}${req.question}`, index: i };
          }
          if (o.end !== undefined) throw o.end;
        } finally {
          seen.aborted ||= ctx.signal.aborted;
          seen.finished = true;
        }
      },
    },
    opts,
  );
}

const fresh = (): Seen => ({ yielded: 0, aborted: false, finished: false });

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(5);
  }
}

test("messages arrive in order, decoded, and the stream ends", async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { net, agent, front } = pair(seed);
    const seen = fresh();
    serveAnswer(agent, seen, { count: 20, text: (i) => `é𝄞 "${i}"\n\\` });
    const got: string[] = [];
    for await (const c of createClient(VoiceAgent, front, "agent").answer({ question: "?" })) {
      assert.equal(c.$typeName, "example.agent.v1.AnswerChunk");
      assert.equal(c.index, got.length);
      got.push(c.text);
    }
    assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => `é𝄞 "${i}"\n\\`));
    // The wire: one request with its attributes, one reply with 20 m frames and the e frame.
    const [req] = net.sent("lkrpc.stream.request");
    assert.equal(req?.attributes["lkrpc.method"], "example.agent.v1.VoiceAgent/Answer");
    assert.equal(req?.attributes["lkrpc.v"], "1");
    assert.equal(req?.attributes["lkrpc.window"], String(1 << 20));
    assert.equal(req?.attributes["lkrpc.first_ms"], "30000", "the method's timeout_ms");
    assert.equal(req?.text, '{"question":"?"}');
    const [reply] = net.sent("lkrpc.stream.reply");
    assert.equal(reply?.attributes["lkrpc.id"], req?.attributes["lkrpc.id"]);
    const lines = reply!.text.split("\n");
    assert.equal(lines.length, 22);
    assert.match(lines[0]!, /^m\{"text":"é𝄞 \\"0\\"\\n\\\\"\}$/);
    assert.equal(lines[20], 'e{"code":0}');
    assert.equal(lines[21], "");
    assert.ok(reply!.closed);
    assert.equal(net.sent("lkrpc.stream.control").length, 0, "no credit for 20 small messages, no cancel");
    assert.ok(seen.finished);
    assert.equal(seen.ctx?.callerIdentity, "frontend");
    assert.equal(seen.ctx?.codec, "json");
    assert.equal(seen.ctx?.responseTimeoutMs, 30000);
  }
});

test("the binary codec: the reply takes the request's form", async () => {
  const { net, agent, front } = pair();
  serveAnswer(agent, fresh(), { count: 3 });
  const got: string[] = [];
  for await (const c of createClient(VoiceAgent, front, "agent").answer({ question: "!" }, { codec: "binary" })) got.push(c.text);
  assert.deepEqual(got, ["w0!", " w1!", " w2!"]);
  assert.match(net.sent("lkrpc.stream.reply")[0]!.text, /^m[A-Za-z0-9+/=]+\n/);
});

test("an error mid-stream ends it with code, message and details after the messages", async () => {
  const { agent, front } = pair();
  const why = new LkrpcError(4040, "voice nova is not available", {
    details: [{ desc: VoiceUnavailableSchema, value: { voiceId: "nova", availableVoiceIds: ["alloy"] } }],
  });
  serveAnswer(agent, fresh(), { count: 2, end: why });
  const got: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of createClient(VoiceAgent, front, "agent").answer({})) got.push(c.text);
    })(),
    (e: unknown) => {
      assert.ok(e instanceof LkrpcError);
      assert.equal(e.code, 4040);
      assert.equal(e.message, "voice nova is not available");
      const [d] = e.findDetails(VoiceUnavailableSchema);
      assert.deepEqual(d?.availableVoiceIds, ["alloy"]);
      assert.equal(e.details.length, 1, "the client's registry knows the service's types");
      return true;
    },
  );
  assert.deepEqual(got, ["w0", " w1"]);
});

test("a plain error is 1500 without its text; the SDK's RpcError goes as it is", async () => {
  const { agent, front } = pair();
  serveAnswer(agent, fresh(), { count: 1, end: new Error("secret") });
  await assert.rejects(drain(createClient(VoiceAgent, front, "agent").answer({})), (e: unknown) => {
    assert.ok(e instanceof LkrpcError);
    assert.deepEqual([e.code, e.message, e.data], [1500, "Application error in method handler", undefined]);
    return true;
  });
  const b = pair();
  serveAnswer(b.agent, fresh(), { count: 0, end: new FakeRpcError(4001, "nope", "d") });
  await assert.rejects(drain(createClient(VoiceAgent, b.front, "agent").answer({})), (e: unknown) => {
    assert.ok(e instanceof LkrpcError);
    assert.deepEqual([e.code, e.message, e.data], [4001, "nope", "d"]);
    return true;
  });
});

async function drain(it: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of it) n++;
  return n;
}

test("breaking out of for await cancels the call: the handler's signal aborts and it stops", async () => {
  const { net, agent, front } = pair();
  const seen = fresh();
  serveAnswer(agent, seen, { count: 1000, ms: 2 });
  let n = 0;
  for await (const _ of createClient(VoiceAgent, front, "agent").answer({})) {
    if (++n === 3) break;
  }
  await until(() => seen.finished);
  assert.ok(seen.aborted, "the handler's signal aborted");
  assert.ok(seen.yielded < 50, `the handler went on for ${seen.yielded} messages`);
  const cancels = net.sent("lkrpc.stream.control", "cancel");
  assert.equal(cancels.length, 1);
  assert.equal(cancels[0]?.to, "agent");
  await until(() => net.sent("lkrpc.stream.reply")[0]!.closed);
  assert.doesNotMatch(net.sent("lkrpc.stream.reply")[0]!.text, /\ne/, "no end frame after a cancel");
});

test("aborting the signal cancels the call and throws its reason", async () => {
  const { net, agent, front } = pair();
  const seen = fresh();
  serveAnswer(agent, seen, { count: 1000, ms: 5 });
  const ac = new AbortController();
  const got: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of createClient(VoiceAgent, front, "agent").answer({}, { signal: ac.signal })) {
        got.push(c.text);
        if (got.length === 2) ac.abort(new Error("enough"));
      }
    })(),
    /enough/,
  );
  await until(() => seen.finished);
  assert.ok(seen.aborted);
  assert.equal(net.sent("lkrpc.stream.control", "cancel").length, 1);
});

test("a handler blocked in its own await is stopped by its signal and return()", async () => {
  const { agent, front } = pair();
  let stopped = false;
  let finallyRan = false;
  registerHandlers(
    VoiceAgent,
    agent,
    {
      async *answer(_req, ctx) {
        try {
          yield { text: "first" };
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          stopped = true;
          yield { text: "never read" };
        } finally {
          finallyRan = true;
        }
      },
    },
    opts,
  );
  for await (const _ of createClient(VoiceAgent, front, "agent").answer({})) break;
  await until(() => finallyRan);
  assert.ok(stopped);
});

test("the handler leaving mid-stream ends the call with 1503", async () => {
  const { net, agent, front } = pair();
  serveAnswer(agent, fresh(), { count: 1000, ms: 5 });
  const got: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of createClient(VoiceAgent, front, "agent").answer({})) {
        got.push(c.text);
        if (got.length === 2) net.leave("agent");
      }
    })(),
    (e: unknown) => e instanceof LkrpcError && e.code === Code.RECIPIENT_DISCONNECTED,
  );
});

test("the caller leaving aborts the handler's signal", async () => {
  const { net, agent, front } = pair();
  const seen = fresh();
  serveAnswer(agent, seen, { count: 1000, ms: 5 });
  const it = createClient(VoiceAgent, front, "agent").answer({})[Symbol.asyncIterator]();
  await it.next();
  net.leave("frontend");
  await until(() => seen.finished);
  assert.ok(seen.aborted);
});

test("first-message and idle timeouts: 1502, and a cancel", async () => {
  const { net, agent, front } = pair();
  serveAnswer(agent, fresh(), { count: 3, ms: 300 });
  const client = createClient(VoiceAgent, front, "agent");
  const start = Date.now();
  await assert.rejects(drain(client.answer({}, { timeoutMs: 100 })), (e: unknown) => {
    assert.ok(e instanceof LkrpcError);
    assert.equal(e.code, Code.RESPONSE_TIMEOUT);
    assert.equal(e.data, "no message within 100ms");
    return true;
  });
  assert.ok(Date.now() - start < 280);
  assert.equal(net.sent("lkrpc.stream.control", "cancel").length, 1);
  assert.equal(net.sent("lkrpc.stream.request")[0]?.attributes["lkrpc.first_ms"], "100");

  // First message in time (500 ms), the next not within the idle timeout.
  const got: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of client.answer({}, { timeoutMs: 500, idleTimeoutMs: 100 })) got.push(c.text);
    })(),
    (e: unknown) => e instanceof LkrpcError && e.code === 1502 && e.data === "no message within 100ms",
  );
  assert.deepEqual(got, ["w0"]);
  // idleTimeoutMs 0 waits for ever.
  assert.equal(await drain(client.answer({}, { timeoutMs: 500, idleTimeoutMs: 0 })), 3);
});

test("a consumer slower than the handler: the handler never runs more than a window ahead", async () => {
  const { net, agent, front } = pair();
  const window = 1000;
  const frame = 2 + JSON.stringify({ text: "x".repeat(80), index: 10 }).length; // ≈ 100 bytes per frame
  const seen = fresh();
  serveAnswer(agent, seen, { count: 60, text: () => "x".repeat(80) });
  let read = 0;
  let maxAhead = 0;
  for await (const _ of createClient(VoiceAgent, front, "agent").answer({}, { windowBytes: window })) {
    read++;
    await sleep(10); // far slower than the handler
    maxAhead = Math.max(maxAhead, seen.yielded - read);
  }
  assert.equal(read, 60);
  // In flight: at most the window (≈ 10 frames) plus the one the generator holds.
  assert.ok(maxAhead <= Math.ceil(window / frame) + 2, `the handler ran ${maxAhead} messages ahead`);
  const credits = net.sent("lkrpc.stream.control", "credit").map((c) => Number(c.attributes["lkrpc.consumed"]));
  assert.ok(credits.length >= 5, `${credits.length} credits`);
  assert.deepEqual(credits, [...credits].sort((a, b) => a - b), "cumulative");
  for (let i = 1; i < credits.length; i++) assert.ok(credits[i]! - credits[i - 1]! >= window / 2);
});

test("one message larger than the window still goes, alone", async () => {
  const { agent, front } = pair();
  serveAnswer(agent, fresh(), { count: 3, text: () => "y".repeat(5000) });
  assert.equal(await drain(createClient(VoiceAgent, front, "agent").answer({}, { windowBytes: 1000 })), 3);
});

test("caps: a message over the caller's limit is 1504 and a cancel; the handler refuses one over 4 MiB", async () => {
  const { net, agent, front } = pair();
  serveAnswer(agent, fresh(), { count: 3, text: (i) => (i === 1 ? "z".repeat(3000) : "ok") });
  const got: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of createClient(VoiceAgent, front, "agent").answer({}, { maxMessageBytes: 1000 })) got.push(c.text);
    })(),
    (e: unknown) =>
      e instanceof LkrpcError && e.code === 1504 && e.data === "a message of example.agent.v1.VoiceAgent/Answer is over the limit of 1000 bytes",
  );
  assert.deepEqual(got, ["ok"]);
  assert.equal(net.sent("lkrpc.stream.control", "cancel").length, 1);

  // The whole reply's cap.
  const b = pair();
  serveAnswer(b.agent, fresh(), { count: 50, text: () => "q".repeat(100) });
  await assert.rejects(
    drain(createClient(VoiceAgent, b.front, "agent").answer({}, { maxStreamBytes: 1000 })),
    (e: unknown) => e instanceof LkrpcError && e.code === 1504 && /the reply of .* is over the limit of 1000 bytes/.test(e.data ?? ""),
  );

  // The handler checks the 4 MiB default before sending.
  const c = pair();
  const seen = fresh();
  serveAnswer(c.agent, seen, { count: 2, text: (i) => (i === 0 ? "a" : "b".repeat(4 << 20)) });
  const got2: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const m of createClient(VoiceAgent, c.front, "agent").answer({})) got2.push(m.text);
    })(),
    (e: unknown) => e instanceof LkrpcError && e.code === 1504 && /^Response payload too large: \d+ bytes, limit 4194304 for/.test(e.message),
  );
  assert.deepEqual(got2, ["a"]);
  assert.ok(!c.net.sent("lkrpc.stream.reply")[0]!.text.includes("bbbb"));
});

test("a handler that sends past its credit is refused: 1500 and a cancel", async () => {
  const { net, agent, front } = pair();
  net.cut = (t) => [t];
  // A hand-written handler that ignores credit: 3 frames of ~600 bytes
  // against a 1000-byte window, in one chunk (so none is read in between).
  agent.registerTextStreamHandler!("lkrpc.stream.request", async (reader, p) => {
    const w = await agent.localParticipant.streamText!({
      topic: "lkrpc.stream.reply",
      destinationIdentities: [p.identity],
      attributes: { "lkrpc.id": reader.info.attributes!["lkrpc.id"]! },
    });
    await w.write(`m{"text":"${"p".repeat(600)}"}\n`.repeat(3) + 'e{"code":0}\n');
    await w.close();
  });
  await assert.rejects(
    drain(createClient(VoiceAgent, front, "agent").answer({}, { windowBytes: 1000 })),
    (e: unknown) => e instanceof LkrpcError && e.code === 1500 && e.data === "the handler sent past its credit (window 1000 bytes)",
  );
  assert.equal(net.sent("lkrpc.stream.control", "cancel").length, 1);
});

test("content after the end frame is ignored, as Go's caller ignores it", async () => {
  const { agent, front } = pair();
  agent.registerTextStreamHandler!("lkrpc.stream.request", async (reader, p) => {
    const w = await agent.localParticipant.streamText!({
      topic: "lkrpc.stream.reply",
      destinationIdentities: [p.identity],
      attributes: { "lkrpc.id": reader.info.attributes!["lkrpc.id"]! },
    });
    await w.write('m{"text":"a"}\ne{"code":0}\nm{}\nrubbish');
    await w.close();
  });
  assert.equal(await drain(createClient(VoiceAgent, front, "agent").answer({})), 1);
});

test("malformed replies: 1500 with data saying which", async () => {
  const cases: [string, RegExp][] = [
    ["x\n", /^malformed reply: frame: unknown frame kind "x"$/],
    ['m{"text":"a"}\n', /^the reply ended without a status$/],
    ["e[1]\n", /^malformed reply: frame: the end frame's status is not a JSON object/],
    ["\n", /^malformed reply: frame: an empty line$/],
  ];
  for (const [content, want] of cases) {
    const { agent, front } = pair();
    agent.registerTextStreamHandler!("lkrpc.stream.request", async (reader, p) => {
      const w = await agent.localParticipant.streamText!({
        topic: "lkrpc.stream.reply",
        destinationIdentities: [p.identity],
        attributes: { "lkrpc.id": reader.info.attributes!["lkrpc.id"]! },
      });
      await w.write(content);
      await w.close();
    });
    await assert.rejects(drain(createClient(VoiceAgent, front, "agent").answer({})), (e: unknown) => {
      assert.ok(e instanceof LkrpcError, String(e));
      assert.equal(e.code, 1500, content);
      assert.match(e.data ?? "", want, content);
      return true;
    });
  }
});

test("an aborted reply is 1500 naming the reason", async () => {
  const { agent, front } = pair();
  agent.registerTextStreamHandler!("lkrpc.stream.request", async (reader, p) => {
    const w = (await agent.localParticipant.streamText!({
      topic: "lkrpc.stream.reply",
      destinationIdentities: [p.identity],
      attributes: { "lkrpc.id": reader.info.attributes!["lkrpc.id"]! },
    })) as unknown as { write(s: string): Promise<void>; abort(r: string): Promise<void> };
    await w.write('m{"text":"a"}\n');
    await w.abort("cancelled");
  });
  const got: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of createClient(VoiceAgent, front, "agent").answer({})) got.push(c.text);
    })(),
    (e: unknown) => e instanceof LkrpcError && e.code === 1500 && /^the reply was aborted: .*cancelled/.test(e.data ?? ""),
  );
  assert.deepEqual(got, ["a"], "messages before the failure are read");
});

test("unknown method, unimplemented method, wrong version, undecodable request", async () => {
  const { net, agent, front } = pair();
  registerHandlers(VoiceAgent, agent, { ping: () => ({}) }, opts); // answer not implemented
  await assert.rejects(drain(createClient(VoiceAgent, front, "agent").answer({})), (e: unknown) => {
    return e instanceof LkrpcError && e.code === 1400 && e.message === "Method not supported at destination";
  });

  // A hand-written caller on a room of its own.
  const rawFront = net.join("raw");
  const raw = async (attrs: Record<string, string>, payload = "{}"): Promise<string> => {
    const id = attrs["lkrpc.id"]!;
    let reply = "";
    const done = new Promise<void>((resolve) => {
      rawFront.registerTextStreamHandler!("lkrpc.stream.reply", async (reader) => {
        for await (const t of { [Symbol.asyncIterator]: () => reader[Symbol.asyncIterator]() }) reply += t;
        resolve();
      });
    });
    await rawFront.localParticipant.sendText!(payload, {
      topic: "lkrpc.stream.request",
      destinationIdentities: ["agent"],
      attributes: { "lkrpc.v": "1", "lkrpc.window": "1000", ...attrs, "lkrpc.id": id },
    });
    await done;
    rawFront.unregisterTextStreamHandler("lkrpc.stream.reply");
    return reply;
  };
  assert.equal(await raw({ "lkrpc.id": "a", "lkrpc.method": "nope" }), 'e{"code":1400,"message":"Method not supported at destination"}\n');
  assert.equal(
    await raw({ "lkrpc.id": "b", "lkrpc.method": "example.agent.v1.VoiceAgent/Answer", "lkrpc.v": "2" }),
    'e{"code":1404,"message":"Unsupported RPC version","data":"lkrpc stream version \\"2\\""}\n',
  );
  const b = pair();
  serveAnswer(b.agent, fresh());
  // reuse raw on the second pair
  const rawB = async (payload: string) => {
    let reply = "";
    const done = new Promise<void>((resolve) => {
      b.front.registerTextStreamHandler!("lkrpc.stream.reply", async (reader) => {
        const it = reader[Symbol.asyncIterator]();
        for (let r = await it.next(); !r.done; r = await it.next()) reply += r.value;
        resolve();
      });
    });
    await b.front.localParticipant.sendText!(payload, {
      topic: "lkrpc.stream.request",
      destinationIdentities: ["agent"],
      attributes: { "lkrpc.id": "c", "lkrpc.v": "1", "lkrpc.method": "example.agent.v1.VoiceAgent/Answer" },
    });
    await done;
    return reply;
  };
  assert.match(await rawB('{"question": 5}'), /^e\{"code":2400,"message":"request of example\.agent\.v1\.VoiceAgent\/Answer does not decode: /);
});

test("discovery: a destination advertising other services is 1400 at once, nothing sent", async () => {
  const { net, agent, front } = pair();
  agent.attributes["lkrpc.services"] = "greet.v1.Greeter";
  const start = Date.now();
  await assert.rejects(drain(createClient(VoiceAgent, front, "agent").answer({})), (e: unknown) => {
    assert.ok(e instanceof LkrpcError);
    assert.equal(e.code, 1400);
    assert.equal(e.data, 'participant agent does not serve example.agent.v1.VoiceAgent: it advertises "greet.v1.Greeter"');
    return true;
  });
  assert.ok(Date.now() - start < 100);
  assert.equal(net.sent("lkrpc.stream.request").length, 0);
  // Advertising the service, or nothing: the call goes.
  agent.attributes["lkrpc.services"] = "example.agent.v1.VoiceAgent,greet.v1.Greeter";
  serveAnswer(agent, fresh(), { count: 2 });
  assert.equal(await drain(createClient(VoiceAgent, front, "agent").answer({})), 2);
});

test("nobody acknowledges within 7 s: 1501 naming a peer without lkrpc; 1401 when not in the room", { timeout: 20000 }, async () => {
  const { front } = pair(); // the agent serves nothing: no text stream handler
  const start = Date.now();
  await assert.rejects(drain(createClient(VoiceAgent, front, "agent").answer({}, { timeoutMs: 60000 })), (e: unknown) => {
    assert.ok(e instanceof LkrpcError);
    assert.equal(e.code, 1501);
    assert.equal(e.data, "no lkrpc stream handler acknowledged within 7s: agent may be a LiveKit SDK peer without lkrpc");
    return true;
  });
  const took = Date.now() - start;
  assert.ok(took >= 6900 && took < 8000, `${took} ms`);
  await assert.rejects(drain(createClient(VoiceAgent, front, "nobody").answer({}, { timeoutMs: 60000 })), (e: unknown) => {
    return e instanceof LkrpcError && e.code === 1401 && /participant nobody is not in the room/.test(e.data ?? "");
  });
});

test("several clients and handlers share one room's dispatchers", async () => {
  const net = new FakeNetwork(9);
  const agent = net.join("agent");
  const other = net.join("other");
  const front = net.join("frontend");
  serveAnswer(agent, fresh(), { count: 5, ms: 1 });
  serveAnswer(other, fresh(), { count: 7, ms: 1 });
  const a = createClient(VoiceAgent, front, "agent");
  const o = createClient(VoiceAgent, front, "other");
  const counts = await Promise.all([drain(a.answer({})), drain(o.answer({})), drain(a.answer({})), drain(o.answer({}))]);
  assert.deepEqual(counts, [5, 7, 5, 7]);
  assert.equal(front.textHandlers.size, 1, "one reply dispatcher");
  // Registering the service twice on one room is refused.
  assert.throws(() => serveAnswer(agent, fresh()), /already registered/);
});

test("a room without text streams: the client throws, registerHandlers serves the unary methods and warns", async () => {
  const { agent, front } = pair();
  agent.textStreams = false;
  front.textStreams = false;
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (m: string) => warnings.push(m);
  try {
    registerHandlers(VoiceAgent, agent, { ping: () => ({}) }, opts);
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /server-streaming methods are not served: Answer/);
  await createClient(VoiceAgent, front, "agent").ping({});
  await assert.rejects(drain(createClient(VoiceAgent, front, "agent").answer({})), /cannot carry/);
});

test("unregister stops serving the streaming method", async () => {
  const { agent, front } = pair();
  const unregister = serveAnswer(agent, fresh(), { count: 1 });
  assert.equal(await drain(createClient(VoiceAgent, front, "agent").answer({})), 1);
  unregister();
  await assert.rejects(drain(createClient(VoiceAgent, front, "agent").answer({})), (e: unknown) => e instanceof LkrpcError && e.code === 1400);
  serveAnswer(agent, fresh(), { count: 2 });
  assert.equal(await drain(createClient(VoiceAgent, front, "agent").answer({})), 2);
});
