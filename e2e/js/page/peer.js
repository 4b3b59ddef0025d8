// peer.js is the browser side of lkrpc's end-to-end tests. It does what a
// frontend developer would: connect a livekit-client Room, call the Go
// service with performRpc (method names and JSON written by hand), and serve
// methods with registerRpcMethod. The driver (../driver.mjs) calls the
// functions of window.lkrpcPeer and returns their results to the Go test.
'use strict';

(function () {
  const { Room, RoomEvent, RpcError } = LivekitClient;
  let room = null;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  window.lkrpcPeer = {
    // connect joins the room; the result names the SDK version in use.
    async connect(url, token) {
      room = new Room();
      await room.connect(url, token, { autoSubscribe: false });
      return { identity: room.localParticipant.identity, version: LivekitClient.version };
    },

    // waitFor resolves once identity is in the room (a participant that
    // publishes nothing is announced up to ~3 s after it joins).
    async waitFor(identity, timeoutMs) {
      if (room.remoteParticipants.has(identity)) return true;
      return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          room.off(RoomEvent.ParticipantConnected, onJoin);
          reject(new Error('participant ' + identity + ' not seen within ' + timeoutMs + ' ms'));
        }, timeoutMs);
        const onJoin = (p) => {
          if (p.identity !== identity) return;
          clearTimeout(timer);
          room.off(RoomEvent.ParticipantConnected, onJoin);
          resolve(true);
        };
        room.on(RoomEvent.ParticipantConnected, onJoin);
      });
    },

    // call performs one RPC. expectEcho: compare the reply with the payload
    // here, so a large reply need not travel back to the test.
    async call(destination, method, payload, timeoutMs, expectEcho) {
      const start = performance.now();
      try {
        const reply = await room.localParticipant.performRpc({
          destinationIdentity: destination,
          method: method,
          payload: payload,
          responseTimeout: timeoutMs,
        });
        const ms = performance.now() - start;
        if (expectEcho) return { ok: true, echoed: reply === payload, length: reply.length, ms: ms };
        return { ok: true, payload: reply, length: reply.length, ms: ms };
      } catch (e) {
        return { ok: false, code: e.code, message: e.message, data: e.data, ms: performance.now() - start };
      }
    },

    // serve registers method: it echoes the payload, answers "fail" with
    // an application error carrying data, and sleeps 2 s on "slow…".
    serve(method) {
      room.registerRpcMethod(method, async (data) => {
        if (data.payload === 'fail') {
          throw new RpcError(2004, 'browser refused', JSON.stringify({ from: 'browser' }));
        }
        if (data.payload.startsWith('slow')) await sleep(2000);
        return data.payload;
      });
      return true;
    },

    // servePing registers the example VoiceAgent's "ping" method, as a
    // frontend serving it by hand would: a PingResponse in protojson.
    servePing(method) {
      room.registerRpcMethod(method, async () => JSON.stringify({ time: new Date().toISOString() }));
      return true;
    },

    async disconnect() {
      if (room) await room.disconnect();
      return true;
    },
  };
})();
