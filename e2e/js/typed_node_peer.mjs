// typed_node_peer.mjs is the typed Node peer of lkrpc's Go end-to-end tests
// (e2e/typed_ts_test.go): @lkrpc/lkrpc (compiled into ts/build by
// `make ts-build`) on @livekit/rtc-node 1.1.0. The commands are
// ts/test/interop/peer.ts's; the line protocol is commands.mjs's.
//
// Usage: node typed_node_peer.mjs
import { Room, RpcError, dispose } from '@livekit/rtc-node';
import { readFileSync } from 'node:fs';
import { runCommands } from './commands.mjs';
import { createInteropPeer } from '../../ts/build/test/interop/peer.js';

const version = JSON.parse(
  readFileSync(new URL('./node_modules/@livekit/rtc-node/package.json', import.meta.url), 'utf8'),
).version;

let current = null;
const peer = createInteropPeer({
  version,
  RpcError,
  async connect(url, token) {
    const room = new Room();
    await room.connect(url, token, { autoSubscribe: false, dynacast: false });
    current = room;
    return room;
  },
});

await runCommands((fn, args) => {
  const f = peer[fn];
  if (!f) throw new Error('no command ' + fn);
  return f(...args);
});
if (current) await current.disconnect();
await dispose();
