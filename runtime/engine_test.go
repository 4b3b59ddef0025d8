package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// roomPair is a caller (alice) and a handler (bob), each on the real
// protocol engine, in one in-process room.
type roomPair struct {
	alice, bob *engine.Engine
}

// newRoomPair joins bob, then alice (who therefore knows bob's client
// protocol from the start). bobProtocol is what bob advertises.
func newRoomPair(t *testing.T, bobProtocol int32) roomPair {
	t.Helper()
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	bobLink, err := room.Join("bob", memroom.WithClientProtocol(bobProtocol))
	if err != nil {
		t.Fatal(err)
	}
	aliceLink, err := room.Join("alice")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := engine.New(bobLink)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := engine.New(aliceLink)
	if err != nil {
		t.Fatal(err)
	}
	p := roomPair{bob: bob, alice: alice}
	t.Cleanup(func() {
		p.alice.Close()
		p.bob.Close()
		room.Close()
	})
	return p
}

func TestEngineRoundTripsSmallAndLarge(t *testing.T) {
	p := newRoomPair(t, link.ProtocolStreamsV2)
	var caller lkrpc.Caller
	mustRegister(t, p.bob, []lkrpc.HandlerDesc{{
		Method:     echoMethod,
		NewRequest: func() proto.Message { return new(structpb.Struct) },
		Serve: func(ctx context.Context, req proto.Message) (proto.Message, error) {
			caller, _ = lkrpc.CallerFromContext(ctx)
			return req, nil
		},
	}})
	cl := lkrpc.NewClient(p.alice, "bob")
	large := strings.Repeat("lkrpc carries typed calls between participants. ", 2000) // ~100 KB
	for _, c := range []struct {
		name  string
		value string
		codec lkrpc.CodecName
	}{
		{"small json", "hi", lkrpc.CodecJSON},
		{"small binary", "hi", lkrpc.CodecBinary},
		{"large json", large, lkrpc.CodecJSON},
		{"large binary", large, lkrpc.CodecBinary},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := mustStruct(t, map[string]any{"text": c.value, "n": 42.0})
			var resp structpb.Struct
			var rep lkrpc.CallReport
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := cl.Invoke(ctx, echoMethod, req, &resp, lkrpc.WithCodec(c.codec), lkrpc.WithReport(&rep)); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(req, &resp) {
				t.Fatal("echo differs")
			}
			if caller.Identity != "alice" || caller.Codec != c.codec || caller.Transfer.Form == transport.FormNone {
				t.Errorf("handler saw caller %+v", caller)
			}
			if rep.Request.Form == transport.FormNone || rep.Response.Form == transport.FormNone || rep.RequestBytes == 0 {
				t.Errorf("report %+v", rep)
			}
			if len(c.value) > 15000 && rep.Request.Form == transport.FormPacket {
				t.Errorf("a %d-byte request went as a v1 packet", rep.RequestBytes)
			}
		})
	}
}

func TestEngineTypedErrorWithDetails(t *testing.T) {
	p := newRoomPair(t, link.ProtocolStreamsV2)
	mustRegister(t, p.bob, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(context.Context, *wrapperspb.StringValue) (proto.Message, error) {
		return nil, lkrpc.NewError(4029, "slow down", durationpb.New(2*time.Second))
	})})
	err := lkrpc.NewClient(p.alice, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), nil)
	wantCode(t, err, 4029)
	details, derr := lkrpc.ErrorDetails(err)
	if derr != nil || len(details) != 1 || !proto.Equal(details[0], durationpb.New(2*time.Second)) {
		t.Errorf("details %v, %v", details, derr)
	}
}

func TestEngineMappings(t *testing.T) {
	p := newRoomPair(t, link.ProtocolV1)
	release := make(chan struct{})
	mustRegister(t, p.bob, []lkrpc.HandlerDesc{
		stringDesc(greetMethod, greet),
		stringDesc(otherMethod, func(context.Context, *wrapperspb.StringValue) (proto.Message, error) {
			// Hold the call until the test ends, past the caller's deadline
			// (the handler's ctx ends with that deadline too, and answering
			// then would race the caller's timer).
			<-release
			return wrapperspb.String("late"), nil
		}),
		stringDesc(echoMethod, func(context.Context, *wrapperspb.StringValue) (proto.Message, error) {
			panic("boom")
		}),
	})
	defer close(release)
	cl := lkrpc.NewClient(p.alice, "bob")

	// A v1 peer cannot take a request over 15360 bytes: 1402 before sending.
	err := cl.Invoke(context.Background(), greetMethod, wrapperspb.String(strings.Repeat("x", 20000)), nil)
	wantCode(t, err, lkrpc.RequestPayloadTooLarge)

	// The timeout option becomes the engine's response timer.
	start := time.Now()
	err = cl.Invoke(context.Background(), otherMethod, wrapperspb.String("x"), nil, lkrpc.WithTimeout(150*time.Millisecond))
	wantCode(t, err, lkrpc.ResponseTimeout)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}

	// Cancelling ends the call promptly with context.Canceled.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cl.Invoke(ctx, otherMethod, wrapperspb.String("x"), nil) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled call: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled call did not return")
	}

	// A panic is 1500 and bob keeps serving.
	err = cl.Invoke(context.Background(), echoMethod, wrapperspb.String("x"), nil)
	wantCode(t, err, lkrpc.ApplicationError)
	var resp wrapperspb.StringValue
	if err := cl.Invoke(context.Background(), greetMethod, wrapperspb.String("v1"), &resp); err != nil || resp.GetValue() != "hello, v1" {
		t.Errorf("after the panic: %v %q", err, resp.GetValue())
	}

	// Nobody serves this one.
	err = cl.Invoke(context.Background(), &lkrpc.Method{Name: "nobody.Serves/This"}, wrapperspb.String("x"), nil)
	wantCode(t, err, lkrpc.UnsupportedMethod)
}
