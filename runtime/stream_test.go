package runtime_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

var wordsMethod = &lkrpc.Method{Service: "test.v1.Echo", Name: "test.v1.Echo/Words"} // StringValue → stream StringValue

// The handler's own check of a message's size uses the caller's default
// cap when the method sets none, so the call ends with the handler's 1504
// rather than the caller refusing the message.
func TestServerStreamHandlerRefusesAMessageOverTheDefaultCap(t *testing.T) {
	caller, handler := connPair(t, quietLogger())
	var sendErr error
	mustRegister(t, handler, []lkrpc.HandlerDesc{lkrpc.HandleServerStream(wordsMethod,
		func(_ context.Context, req *wrapperspb.StringValue, s *lkrpc.ServerStream[wrapperspb.StringValue]) error {
			if err := s.Send(wrapperspb.String("small")); err != nil {
				return err
			}
			sendErr = s.Send(wrapperspb.String(strings.Repeat("x", transport.DefaultStreamMessageMax)))
			return sendErr
		})})
	stream, err := lkrpc.CallServerStream[wrapperspb.StringValue](context.Background(), lkrpc.NewClient(caller, "bob"), wordsMethod, wrapperspb.String("go"))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	if !stream.Receive() || stream.Msg().GetValue() != "small" {
		t.Fatalf("first message: %v", stream.Err())
	}
	if stream.Receive() {
		t.Fatal("the oversized message arrived")
	}
	if lkrpc.Code(stream.Err()) != lkrpc.ResponsePayloadTooLarge || lkrpc.Code(sendErr) != lkrpc.ResponsePayloadTooLarge {
		t.Fatalf("caller's end %v, handler's Send %v; want 1504 from the handler's Send", stream.Err(), sendErr)
	}
}

// Register on a transport that cannot stream serves the unary methods and
// leaves the streaming ones out.
func TestRegisterLeavesStreamingMethodsOutWhereTheTransportCannotStream(t *testing.T) {
	tr := &unaryOnly{methods: map[string]bool{}}
	unregister, err := lkrpc.Register(tr, []lkrpc.HandlerDesc{
		echoDesc(echoMethod),
		lkrpc.HandleServerStream(wordsMethod, func(context.Context, *wrapperspb.StringValue, *lkrpc.ServerStream[wrapperspb.StringValue]) error {
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unregister()
	if !tr.methods[echoMethod.Name] || tr.methods[wordsMethod.Name] || len(tr.methods) != 1 {
		t.Fatalf("registered %v, want only %s", tr.methods, echoMethod.Name)
	}
}

// unaryOnly is a Transport without streams (as roomadapter is).
type unaryOnly struct{ methods map[string]bool }

func (u *unaryOnly) Call(context.Context, transport.Call) (transport.Reply, error) {
	return transport.Reply{}, nil
}

func (u *unaryOnly) Register(method string, _ transport.Handler) (func(), error) {
	u.methods[method] = true
	return func() { delete(u.methods, method) }, nil
}
