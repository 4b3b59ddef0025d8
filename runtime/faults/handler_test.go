package faults_test

import (
	"context"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func TestHandlerPanics(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", nil)
	alice := v.join("alice", nil)
	serve(t, bob, "faults.Panic", func(context.Context, *transport.Request) (string, error) {
		panic("handler bug: secret state")
	})
	serve(t, bob, "faults.Echo", echo)
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Panic", Payload: "x"})
	if e := r.wantCode(t, rpcerr.ApplicationError, 0, promptBound); e.Message != "Application error in method handler" || e.Data != "" {
		t.Errorf("a panic reveals %q / %q", e.Message, e.Data)
	}
	// The engine survives and serves the next call.
	v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: "after"}).wantReply(t, "after", promptBound)
}

// A lost ack does not matter when the response comes in time: a response
// implies the ack.
func TestLostAckFastHandler(t *testing.T) {
	v := newEnv(t)
	v.room.SetFault(memroom.DropKind[*livekit.DataPacket_RpcAck]())
	bob := v.join("bob", nil)
	alice := v.join("alice", nil)
	serve(t, bob, "faults.Echo", echo)
	v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: "x"}).wantReply(t, "x", promptBound)
}

// A lost ack with a handler slower than the ack timeout ends the call with
// 1501 at the ack timeout; the handler's late answer is dropped.
func TestLostAckSlowHandler(t *testing.T) {
	v := newEnv(t)
	v.room.SetFault(memroom.DropKind[*livekit.DataPacket_RpcAck]())
	bob := v.join("bob", nil)
	alice := v.join("alice", nil)
	release := make(chan struct{})
	var ran counter
	serve(t, bob, "faults.Slow", ran.wrap(func(_ context.Context, r *transport.Request) (string, error) {
		<-release
		return r.Payload, nil
	}))
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Slow", Payload: "x"})
	r.wantCode(t, rpcerr.ConnectionTimeout, ackTimeout, ackTimeout+timerSlack)
	close(release)
	closeWithin(t, bob.Engine)
	ran.want(t, 1)
}

// The ack held back until after the response: the call completes with the
// response and the late ack is dropped.
func TestResponseBeforeAck(t *testing.T) {
	for _, protocol := range []int32{link.ProtocolV1, link.ProtocolStreamsV2} {
		t.Run(map[int32]string{link.ProtocolV1: "v1 packets", link.ProtocolStreamsV2: "v2 streams"}[protocol], func(t *testing.T) {
			v := newEnv(t)
			v.room.SetFault(memroom.ReorderWhere(memroom.IsKind[*livekit.DataPacket_RpcAck]))
			var order []string // what alice received from bob, in order
			stop := v.room.Observe(func(d memroom.Delivery) {
				if d.From == "bob" && d.Fault == (memroom.Fault{}) {
					order = append(order, packetKind(d.Packet))
				}
			})
			defer stop()
			bob := v.join("bob", []memroom.JoinOption{memroom.WithClientProtocol(protocol)})
			alice := v.join("alice", []memroom.JoinOption{memroom.WithClientProtocol(protocol)})
			serve(t, bob, "faults.Echo", echo)
			v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: "x"}).wantReply(t, "x", promptBound)
			closeWithin(t, bob.Engine)
			if len(order) == 0 || order[0] == "ack" {
				t.Errorf("bob's packets went out as %v; the fault should hold the ack back", order)
			}
		})
	}
}

func packetKind(p *livekit.DataPacket) string {
	switch p.Value.(type) {
	case *livekit.DataPacket_RpcAck:
		return "ack"
	case *livekit.DataPacket_RpcResponse:
		return "response"
	case *livekit.DataPacket_StreamHeader:
		return "header"
	}
	return "other"
}

// Two calls under one request id (a broken WithIDs): the second fails at
// once with 1505 and sends nothing; the first is unaffected.
func TestDuplicateRequestIDFromCaller(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", nil)
	alice := v.join("alice", nil, engine.WithIDs(func() string { return "always-the-same" }))
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	var ran counter
	serve(t, bob, "faults.Slow", ran.wrap(func(_ context.Context, r *transport.Request) (string, error) {
		started <- struct{}{}
		<-release
		return r.Payload, nil
	}))
	first := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Slow", Payload: "first"})
	<-started
	second := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Slow", Payload: "second"})
	second.wantCode(t, rpcerr.SendFailed, 0, promptBound)
	close(release)
	first.wantReply(t, "first", promptBound)
	closeWithin(t, bob.Engine)
	ran.want(t, 1)
}

// The same request id arriving twice at a handler (a replayed or duplicated
// request) is served twice, as by every LiveKit SDK (PROTOCOL.md §2: no SDK
// de-duplicates request ids; the participant link drops replayed packets
// below the engine): each copy is acked and answered once.
func TestDuplicateRequestIDToHandler(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", nil)
	var ran counter
	serve(t, bob, "faults.Echo", ran.wrap(echo))
	mallory := v.scripted("mallory", memroom.WithClientProtocol(link.ProtocolV1))
	const id = "replayed"
	req := &livekit.DataPacket{DestinationIdentities: []string{"bob"}, Value: &livekit.DataPacket_RpcRequest{
		RpcRequest: &livekit.RpcRequest{Id: id, Method: "faults.Echo", Payload: "again", ResponseTimeoutMs: 5000, Version: 1},
	}}
	mallory.send(t, req, req)
	for range 2 {
		resp := mallory.next(t, promptBound, "response", responseFor(id))
		if resp.GetRpcResponse().GetPayload() != "again" {
			t.Fatalf("response %v", resp.GetRpcResponse())
		}
	}
	closeWithin(t, bob.Engine)
	mallory.flush(t, bob.link)
	if a, r := mallory.count(ackFor(id)), mallory.count(responseFor(id)); a != 2 || r != 2 {
		t.Errorf("%d acks and %d responses for two copies of a request, want 2 and 2", a, r)
	}
	ran.want(t, 2)
}

// The room delivering a request twice: the handler runs for each copy, and
// the call ends once with the first reply; the second is dropped.
func TestDuplicatedRequestPacket(t *testing.T) {
	v := newEnv(t)
	v.room.SetFault(memroom.DuplicateWhere(memroom.IsKind[*livekit.DataPacket_RpcRequest]))
	bob := v.join("bob", []memroom.JoinOption{memroom.WithClientProtocol(link.ProtocolV1)})
	alice := v.join("alice", nil)
	var ran counter
	serve(t, bob, "faults.Echo", ran.wrap(echo))
	v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: "x"}).wantReply(t, "x", promptBound)
	// The extra reply confuses no later call.
	v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: "y"}).wantReply(t, "y", promptBound)
	// The second call ended with the first copy's reply; its duplicate may
	// still be on its way to bob.
	ran.reach(t, 4, promptBound)
	closeWithin(t, bob.Engine)
	ran.want(t, 4)
}

// The room delivering a response twice: the call ends once; the copy is
// dropped.
func TestDuplicatedResponse(t *testing.T) {
	for _, protocol := range []int32{link.ProtocolV1, link.ProtocolStreamsV2} {
		t.Run(map[int32]string{link.ProtocolV1: "v1 packet", link.ProtocolStreamsV2: "v2 single-packet stream"}[protocol], func(t *testing.T) {
			v := newEnv(t)
			v.room.SetFault(memroom.DuplicateWhere(func(d memroom.Delivery) bool { return d.From == "bob" }))
			bob := v.join("bob", []memroom.JoinOption{memroom.WithClientProtocol(protocol)})
			alice := v.join("alice", []memroom.JoinOption{memroom.WithClientProtocol(protocol)})
			serve(t, bob, "faults.Echo", echo)
			v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: "x"}).wantReply(t, "x", promptBound)
			// A second call on the same engines still works.
			v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: "y"}).wantReply(t, "y", promptBound)
		})
	}
}

// A response after the call timed out is dropped; the next call is not
// confused by it.
func TestLateResponseAfterTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	v := newEnv(t)
	bob := v.join("bob", nil)
	alice := v.join("alice", nil)
	release := make(chan struct{})
	serve(t, bob, "faults.Slow", func(_ context.Context, r *transport.Request) (string, error) {
		<-release
		return "late " + r.Payload, nil
	})
	serve(t, bob, "faults.Echo", echo)
	lateSent := v.reached(func(d memroom.Delivery) bool { return d.From == "bob" && packetKind(d.Packet) != "ack" })
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Slow", Payload: "x", Timeout: timeout})
	r.wantCode(t, rpcerr.ResponseTimeout, timeout, timeout+timerSlack)
	close(release)
	waitFor(t, lateSent, "the late response")
	// bob's later packets reach alice after the late response, so by the
	// time this call ends alice has seen (and dropped) it.
	v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: "next"}).wantReply(t, "next", promptBound)
}
