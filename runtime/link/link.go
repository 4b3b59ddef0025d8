// Package link is the narrow interface between lkrpc's protocol engine and a
// room: send a DataPacket, receive DataPackets with the sender's identity,
// and know who is in the room and what they speak. memroom (in process) and
// the participant link (a real LiveKit room) implement it.
package link

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/livekit/protocol/livekit"
)

// Client protocol values of PROTOCOL.md §1.
const (
	// ProtocolV1 speaks RPC v1 packets only (also: absent, unknown).
	ProtocolV1 int32 = 0
	// ProtocolRPCv2 speaks RPC v2 over data streams.
	ProtocolRPCv2 int32 = 1
	// ProtocolStreamsV2 also accepts single-packet streams and, with
	// CAP_COMPRESSION_DEFLATE_RAW, raw-DEFLATE streams.
	ProtocolStreamsV2 int32 = 2
)

// ErrClosed is wrapped by every error a link returns because the local
// participant is no longer in the room (closed, left, removed, or the
// connection lost for good), so the engine can tell a lost link (1503) from
// a failed send (1505).
var ErrClosed = errors.New("link closed")

// DefaultClientProtocol is what lkrpc links advertise unless told otherwise.
const DefaultClientProtocol = ProtocolStreamsV2

// DefaultCapabilities is what lkrpc links advertise unless told otherwise.
func DefaultCapabilities() []livekit.ClientInfo_Capability {
	return []livekit.ClientInfo_Capability{livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW}
}

// Participant is what the room says about one participant.
type Participant struct {
	Identity       string
	SID            string
	Kind           livekit.ParticipantInfo_Kind
	Attributes     map[string]string
	ClientProtocol int32
	Capabilities   []livekit.ClientInfo_Capability
}

// Has reports whether the participant advertises capability c.
func (p Participant) Has(c livekit.ClientInfo_Capability) bool {
	return slices.Contains(p.Capabilities, c)
}

// EventKind says what happened to a participant.
type EventKind int

const (
	Joined  EventKind = iota + 1 // first seen
	Updated                      // attributes or other info changed
	Left                         // left the room (or was removed)
)

// Event reports a change in the room's participants.
type Event struct {
	Kind        EventKind
	Participant Participant
}

// Receiver gets everything a link sees. A link calls it from one goroutine
// at a time, in arrival order; implementations must not block for long
// (never on network sends).
type Receiver interface {
	// ReceivePacket is called for each data packet addressed to the local
	// participant. pkt.ParticipantIdentity is the sender as set by the SFU.
	ReceivePacket(pkt *livekit.DataPacket)
	// ParticipantChanged is called on joins, updates and leaves of remote participants.
	ParticipantChanged(ev Event)
	// Disconnected is called once when the link is lost for good or closed;
	// err is nil after a clean Close.
	Disconnected(err error)
}

// Link is one local participant's connection to a room.
type Link interface {
	// Local describes the local participant, including the client protocol
	// and capabilities it advertised when it joined.
	Local() Participant
	// Participant returns a remote participant currently in the room. Its
	// Attributes and Capabilities may be shared with the link and with
	// other callers: read them, never modify them (the engine looks a
	// participant up for every call and reply).
	Participant(identity string) (Participant, bool)
	// Attach sets the receiver. Packets and events that arrive before Attach
	// are held; Attach first reports every participant already present as
	// Joined, then delivers what was held. Attach may be called once.
	Attach(r Receiver)
	// Send publishes pkt on the reliable channel, in order with the caller's
	// earlier sends. It blocks while the link's send buffer is above its
	// high-water mark (backpressure) and fails when ctx ends or the link is
	// closed (with an error wrapping ErrClosed). Control packets (IsControl) are not held behind stream data.
	Send(ctx context.Context, pkt *livekit.DataPacket) error
	// Close leaves the room.
	Close() error
}

// AttributeSetter is implemented by links that can change the local
// participant's attributes after it joined (memroom's and rtc's links). The
// Conn publishes the discovery attribute through it (package discovery).
type AttributeSetter interface {
	// SetAttributes merges attrs into the local participant's attributes as
	// LiveKit does: each key given is set, a key given "" is deleted, keys
	// not given are left alone. It returns once the room has applied the
	// update, and fails when ctx ends first, when the link is closed (an
	// error wrapping ErrClosed), or when the room refuses the update (one
	// wrapping ErrAttributesRefused).
	SetAttributes(ctx context.Context, attrs map[string]string) error
}

// MergeAttributes is attrs after update as LiveKit applies it: keys given
// are set, a key given "" is deleted, others are kept. attrs is not
// modified (others may hold it); the result is a new map.
func MergeAttributes(attrs, update map[string]string) map[string]string {
	merged := maps.Clone(attrs)
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range update {
		if v == "" {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	return merged
}

// ErrAttributesRefused is wrapped by the error of a SetAttributes that the
// room refused: in a real room, a token without canUpdateOwnMetadata, or
// attributes over the server's size limit.
var ErrAttributesRefused = errors.New("attribute update refused")

// IsControl reports whether pkt is a small RPC control packet (request, ack,
// response) that a link should not queue behind stream data.
func IsControl(pkt *livekit.DataPacket) bool {
	switch pkt.Value.(type) {
	case *livekit.DataPacket_RpcRequest, *livekit.DataPacket_RpcAck, *livekit.DataPacket_RpcResponse:
		return true
	}
	return false
}
