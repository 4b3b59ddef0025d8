import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DISCOVERY_ATTRIBUTE,
  awaitServes,
  formatServices,
  parseServices,
  registerHandlers,
  serves,
} from "../src/index.js";
import { VoiceAgent } from "../gen/agent/v1/agent_pb.js";
import { Interop } from "../gen/interop/v1/interop_pb.js";
import { FakeNetwork, FakeRpcError } from "./fakeroom.js";

const ping = { ping: () => ({}) };
const opts = { RpcError: FakeRpcError };

function pair() {
  const net = new FakeNetwork();
  return { agent: net.join("agent"), front: net.join("frontend") };
}

/** Lets the background publisher run its updates. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

test("the format is Go's: sorted, without repeats, comma-joined, bounded", () => {
  assert.equal(formatServices(["greet.v1.Greeter", "example.agent.v1.VoiceAgent", "greet.v1.Greeter"]),
    "example.agent.v1.VoiceAgent,greet.v1.Greeter");
  assert.equal(formatServices([]), "");
  for (const bad of ["", "a,b", "greet..Greeter", ".Greeter", "greet.1v.Greeter", "greet v1"]) {
    assert.throws(() => formatServices([bad]), /not a full protobuf service name/, bad);
  }
  const many = Array.from({ length: 9 }, (_, i) => `big.v1.S${i}${"x".repeat(490)}`);
  assert.throws(() => formatServices(many), /4096-byte limit of the lkrpc\.services attribute/);
  assert.deepEqual(parseServices(" a.A , ,not a name,9x,b.B"), ["a.A", "b.B"]);
});

test("registerHandlers advertises the service; unregister deletes the attribute", async () => {
  const { agent, front } = pair();
  assert.equal(serves(front, "agent", VoiceAgent.typeName), false);
  const unregister = registerHandlers(VoiceAgent, agent, ping, opts);
  assert.ok(await awaitServes(front, "agent", VoiceAgent.typeName, 1000));
  assert.equal(agent.attributes[DISCOVERY_ATTRIBUTE], "example.agent.v1.VoiceAgent");
  assert.equal(serves(front, "agent", "example.agent.v1.Other"), false);
  assert.equal(serves(front, "nobody", VoiceAgent.typeName), false);
  unregister();
  await settle();
  assert.equal(DISCOVERY_ATTRIBUTE in agent.attributes, false, "deleted, not left empty");
  assert.equal(serves(front, "agent", VoiceAgent.typeName), false);
  assert.deepEqual(agent.attributeUpdates.at(-1), { [DISCOVERY_ATTRIBUTE]: "" }, "only the discovery key is sent");
});

test("two services are advertised together; a burst becomes one update", async () => {
  const { agent } = pair();
  const u1 = registerHandlers(VoiceAgent, agent, ping, opts);
  const u2 = registerHandlers(Interop, agent, {}, opts);
  await settle();
  assert.equal(agent.attributes[DISCOVERY_ATTRIBUTE], "example.agent.v1.VoiceAgent,lkrpc.interop.v1.Interop");
  assert.equal(agent.attributeUpdates.length, 1, "two registrations in one tick are one update");
  u1();
  await settle();
  assert.equal(agent.attributes[DISCOVERY_ATTRIBUTE], "lkrpc.interop.v1.Interop");
  u2();
});

test("advertising counts registrations per room", async () => {
  const net = new FakeNetwork();
  const agent = net.join("agent");
  // A service registered twice on one room: the SDK refuses the second's
  // methods, and that refusal must not withdraw the first's advertisement.
  const u1 = registerHandlers(VoiceAgent, agent, ping, opts);
  assert.throws(() => registerHandlers(VoiceAgent, agent, ping, opts), /already registered/);
  await settle();
  assert.equal(agent.attributes[DISCOVERY_ATTRIBUTE], VoiceAgent.typeName);
  u1();
  u1(); // twice withdraws once
  await settle();
  assert.equal(DISCOVERY_ATTRIBUTE in agent.attributes, false);
});

test("a refused update warns once and the handlers still serve", async (t) => {
  const { agent, front } = pair();
  agent.refuseAttributes = new Error("does not have permission to update own metadata");
  const warn = t.mock.method(console, "warn", () => {});
  registerHandlers(VoiceAgent, agent, { getStatus: () => ({ voiceId: "alloy" }) }, opts);
  await settle();
  registerHandlers(Interop, agent, {}, opts);
  await settle();
  assert.equal(agent.attributeUpdates.length, 2, "each change tries again");
  assert.equal(warn.mock.callCount(), 1);
  assert.match(String(warn.mock.calls[0]!.arguments[0]), /canUpdateOwnMetadata.*does not have permission/);
  const { createClient } = await import("../src/index.js");
  const status = await createClient(VoiceAgent, front, "agent").getStatus({});
  assert.equal(status.voiceId, "alloy");
});

test("discovery: false advertises nothing", async () => {
  const { agent } = pair();
  registerHandlers(VoiceAgent, agent, ping, { ...opts, discovery: false });
  await settle();
  assert.equal(agent.attributeUpdates.length, 0);
});

test("an advertisement over the bound throws and changes nothing", async () => {
  const { advertise } = await import("../src/discovery.js");
  const { agent } = pair();
  const withdraw = advertise(agent, ["test.v1.Echo"]);
  const many = Array.from({ length: 9 }, (_, i) => `big.v1.S${i}${"x".repeat(490)}`);
  assert.throws(() => advertise(agent, many), /4096-byte limit/);
  await settle();
  assert.equal(agent.attributes[DISCOVERY_ATTRIBUTE], "test.v1.Echo");
  withdraw();
});
