// Package memroom is an in-process LiveKit room: it routes DataPackets
// between in-process participants the way the SFU does, so the protocol
// engine can be exercised without a server. The conformance suite uses it as
// its test bed and the demo uses it as the embedded default.
//
// What it models of the SFU:
//   - the sender's identity and sid are stamped on every packet
//     (participant_identity, participant_sid), overwriting what the sender
//     put there; sequence and destination_identities are left as sent;
//   - a packet goes only to its destination_identities when any are set
//     (unknown identities are skipped), otherwise to everyone but the
//     sender; nobody receives its own packets;
//   - each participant's identity, sid, kind, attributes, client protocol
//     and capabilities are announced to the others on join (optionally after
//     a delay, as the SFU batches joins of participants that do not publish)
//     and on leave; a newcomer learns of everyone present at once, as from a
//     JoinResponse, and its packets reach the others before its
//     announcement does (Room.Announce ends a test's delay when it chooses);
//   - the reliable data channel: per-sender order is kept, delivery is
//     asynchronous, and Send blocks while the sender's undelivered bytes are
//     above a high-water mark until they fall to a low-water mark (like a
//     data channel's bufferedAmountLowThreshold); control packets
//     (link.IsControl) never wait.
//
// For tests it can also show every packet as routed (Room.Observe) and
// inject faults (Room.SetFault): drop, delay, duplicate or reorder packets,
// or cut a data stream short.
package memroom
