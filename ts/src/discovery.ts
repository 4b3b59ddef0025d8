// The discovery attribute: the participant attribute in which a participant
// advertises the protobuf services it serves. This file mirrors lkrpc's Go
// package runtime/discovery (same key, same format, same bound), so that Go
// and TypeScript participants read what the other writes; keep them equal.

import { errorText } from "./codec.js";
import { localParticipant, type RpcRoom } from "./room.js";

/** The key of the discovery attribute. */
export const DISCOVERY_ATTRIBUTE = "lkrpc.services";

/** The longest value of the discovery attribute, in bytes (about a hundred services). */
export const DISCOVERY_MAX_BYTES = 4096;

/** A full protobuf name: dot-separated identifiers, none starting with a digit. */
const FULL_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function validName(s: string): boolean {
  return s.length <= 512 && FULL_NAME.test(s);
}

/**
 * formatServices is the attribute value that advertises services: sorted,
 * without repeats, comma-joined; "" for none. It throws on a name that is
 * not a full protobuf name and on a value over DISCOVERY_MAX_BYTES.
 */
export function formatServices(services: Iterable<string>): string {
  const names = [...new Set(services)];
  for (const s of names) {
    if (!validName(s)) throw new Error(`lkrpc: discovery: ${JSON.stringify(s)} is not a full protobuf service name`);
  }
  const value = names.sort().join(","); // ASCII: code-unit order is Go's byte order, length is bytes
  if (value.length > DISCOVERY_MAX_BYTES) {
    throw new Error(
      `lkrpc: discovery: advertising ${names.length} services takes ${value.length} bytes, ` +
        `over the ${DISCOVERY_MAX_BYTES}-byte limit of the ${DISCOVERY_ATTRIBUTE} attribute`,
    );
  }
  return value;
}

/** parseServices lists the services a value advertises, skipping entries that are not full names. */
export function parseServices(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(validName);
}

/**
 * serves reports whether the remote participant identity advertises
 * service (a full protobuf name: a service descriptor's typeName, e.g.
 * VoiceAgent.typeName) in the discovery attribute; false for a participant
 * the room has not announced.
 */
export function serves(room: RpcRoom, identity: string, service: string): boolean {
  const attrs = room.remoteParticipants?.get?.(identity)?.attributes;
  return parseServices(attrs?.[DISCOVERY_ATTRIBUTE]).includes(service);
}

/** How often awaitServes looks again (as awaitParticipant). */
const SERVES_POLL_MS = 50;

/**
 * awaitServes resolves true once identity advertises service, or false
 * after withinMs; an aborted signal rejects with its reason. Calls need no
 * such wait; it is for a caller that must know a participant is ready.
 */
export async function awaitServes(
  room: RpcRoom,
  identity: string,
  service: string,
  withinMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!serves(room, identity, service)) {
    signal?.throwIfAborted();
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(SERVES_POLL_MS, left)));
  }
  return true;
}

/** What one room advertises: registrations per service, and what was last sent. */
interface Advertising {
  counts: Map<string, number>;
  sent: string | undefined; // the value last handed to the SDK ("" when the participant joined); undefined after a failure
  scheduled: boolean; // a publish is queued for this tick
  warned: Set<string>; // failure messages already logged
}

const advertised = new WeakMap<object, Advertising>();

/**
 * advertise adds services to what room's local participant advertises and
 * returns the function that takes them back (once). Services are counted per
 * registration, as in Go. It throws, changing nothing, when the attribute
 * would grow over DISCOVERY_MAX_BYTES. Publishing is in the background: the
 * changes of one tick become one update; a failure (a token without
 * canUpdateOwnMetadata) is logged with console.warn, once per message, and
 * never affects serving. An SDK without setAttributes advertises nothing.
 */
export function advertise(room: RpcRoom, services: string[]): () => void {
  if (typeof room.localParticipant?.setAttributes !== "function" || services.length === 0) return () => {};
  let state = advertised.get(room);
  if (!state) {
    state = { counts: new Map(), sent: "", scheduled: false, warned: new Set() };
    advertised.set(room, state);
  }
  const s = state;
  const next = new Map(s.counts);
  services.forEach((name) => next.set(name, (next.get(name) ?? 0) + 1));
  formatServices(next.keys()); // throws over the bound, before anything changes
  s.counts = next;
  publish(room, s);
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    for (const name of services) {
      const n = (s.counts.get(name) ?? 0) - 1;
      if (n > 0) s.counts.set(name, n);
      else s.counts.delete(name);
    }
    publish(room, s);
  };
}

/**
 * publish hands the latest value to the SDK once the current tick is done.
 * It does not wait for the previous update's answer: the signal connection
 * keeps updates in order, and rtc-node 1.1.0's setAttributes at times
 * resolves only after 5 s, which would hold every later change back.
 */
function publish(room: RpcRoom, s: Advertising): void {
  if (s.scheduled) return;
  s.scheduled = true;
  queueMicrotask(() => {
    s.scheduled = false;
    const value = formatServices(s.counts.keys());
    if (value === s.sent) return;
    s.sent = value;
    // "" deletes the key (LiveKit's merge); other attributes stay.
    Promise.resolve()
      .then(() => localParticipant(room).setAttributes!({ [DISCOVERY_ATTRIBUTE]: value }))
      .catch((e: unknown) => {
        if (s.sent === value) s.sent = undefined; // the next change sends again
        const text = errorText(e);
        if (s.warned.has(text)) return;
        s.warned.add(text);
        console.warn(
          `lkrpc: could not advertise the services served in the ${DISCOVERY_ATTRIBUTE} attribute ` +
            `(a token needs canUpdateOwnMetadata); calls are still served: ${text}`,
        );
      });
  });
}
