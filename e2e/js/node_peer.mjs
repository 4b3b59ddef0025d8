// node_peer.mjs is the Node peer of lkrpc's Go end-to-end tests:
// @livekit/rtc-node used as a Node agent developer would — connect a Room,
// performRpc with hand-written method names and JSON, registerRpcMethod.
// The Go test drives it over stdin/stdout (commands.mjs); it offers the same
// commands as the browser page (page/peer.js): connect, waitFor, call,
// serve, disconnect. End of stdin disconnects and exits.
//
// Usage: node node_peer.mjs
import { Room, RoomEvent, RpcError, dispose } from '@livekit/rtc-node';
import { readFileSync } from 'node:fs';
import { runCommands } from './commands.mjs';

const sdkVersion = JSON.parse(
  readFileSync(new URL('./node_modules/@livekit/rtc-node/package.json', import.meta.url), 'utf8'),
).version;

let room = null;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const commands = {
  // connect joins the room; the result names the SDK version in use.
  async connect(url, token) {
    room = new Room();
    await room.connect(url, token, { autoSubscribe: false, dynacast: false });
    return { identity: room.localParticipant.identity, version: sdkVersion };
  },

  // waitFor resolves once identity is in the room.
  async waitFor(identity, timeoutMs) {
    if (room.remoteParticipants.has(identity)) return true;
    return await new Promise((resolve, reject) => {
      const onJoin = (p) => {
        if (p.identity !== identity) return;
        clearTimeout(timer);
        room.off(RoomEvent.ParticipantConnected, onJoin);
        resolve(true);
      };
      const timer = setTimeout(() => {
        room.off(RoomEvent.ParticipantConnected, onJoin);
        reject(new Error('participant ' + identity + ' not seen within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      room.on(RoomEvent.ParticipantConnected, onJoin);
    });
  },

  // call performs one RPC; with expectEcho the reply is compared with the
  // payload here, so a large reply need not travel back to the test.
  async call(destination, method, payload, timeoutMs, expectEcho) {
    const start = performance.now();
    try {
      const reply = await room.localParticipant.performRpc({
        destinationIdentity: destination,
        method,
        payload,
        responseTimeout: timeoutMs,
      });
      const ms = performance.now() - start;
      if (expectEcho) return { ok: true, echoed: reply === payload, length: reply.length, ms };
      return { ok: true, payload: reply, length: reply.length, ms };
    } catch (e) {
      return { ok: false, code: e.code, message: e.message, data: e.data, ms: performance.now() - start };
    }
  },

  // serve registers method: it echoes the payload, answers "fail" with an
  // application error carrying data, and sleeps 2 s on "slow…".
  serve(method) {
    room.localParticipant.registerRpcMethod(method, async (data) => {
      if (data.payload === 'fail') {
        throw new RpcError(2005, 'node refused', JSON.stringify({ from: 'node' }));
      }
      if (data.payload.startsWith('slow')) await sleep(2000);
      return data.payload;
    });
    return true;
  },

  // servePing registers the example VoiceAgent's "ping" method, as a
  // frontend serving it by hand would: a PingResponse in protojson.
  servePing(method) {
    room.localParticipant.registerRpcMethod(method, async () => JSON.stringify({ time: new Date().toISOString() }));
    return true;
  },

  async disconnect() {
    if (room) await room.disconnect();
    room = null;
    return true;
  },
};

await runCommands((fn, args) => {
  const f = commands[fn];
  if (!f) throw new Error('no command ' + fn);
  return f(...args);
});
if (room) await room.disconnect();
await dispose();
