// The SDKs' rooms and RpcError classes fit lkrpc's structural types: this
// file compiles only if they do (checked against livekit-client 2.23.0 and
// @livekit/rtc-node 1.1.0, the versions the end-to-end tests run).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Room as BrowserRoom, RpcError as BrowserRpcError } from "livekit-client";
import type { Room as NodeRoom, RpcError as NodeRpcError } from "@livekit/rtc-node";
import type { RpcErrorClass, RpcRoom } from "../src/index.js";

type Assignable<T, U> = T extends U ? true : false;
const browserRoom: Assignable<BrowserRoom, RpcRoom> = true;
const nodeRoom: Assignable<NodeRoom, RpcRoom> = true;
const browserError: Assignable<typeof BrowserRpcError, RpcErrorClass> = true;
const nodeError: Assignable<typeof NodeRpcError, RpcErrorClass> = true;

test("livekit-client's and rtc-node's Room and RpcError fit the structural types", () => {
  assert.deepEqual([browserRoom, nodeRoom, browserError, nodeError], [true, true, true, true]);
});
