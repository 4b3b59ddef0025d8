package runtime_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

// Call and Handle are what generated code is made of: a typed call and a
// typed registration with no casts or allocations written by hand.
func TestCallAndHandleRoundTrip(t *testing.T) {
	lb := newLoopback()
	m := &lkrpc.Method{Name: "test.Upper/Upper"}
	var sawCaller string
	unregister, err := lkrpc.Register(lb, []lkrpc.HandlerDesc{
		lkrpc.Handle(m, func(ctx context.Context, req *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
			c, _ := lkrpc.CallerFromContext(ctx)
			sawCaller = c.Identity
			return wrapperspb.String(req.GetValue() + "!"), nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unregister()

	resp, err := lkrpc.Call[wrapperspb.StringValue](context.Background(), lkrpc.NewClient(lb, "bob"), m, wrapperspb.String("hi"))
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	if resp.GetValue() != "hi!" || sawCaller != "alice" {
		t.Errorf("reply %q, handler saw caller %q; want \"hi!\" from alice", resp.GetValue(), sawCaller)
	}
}

func TestCallReturnsNilOnError(t *testing.T) {
	lb := newLoopback()
	resp, err := lkrpc.Call[wrapperspb.StringValue](context.Background(), lkrpc.NewClient(lb, "bob"),
		&lkrpc.Method{Name: "test.Nobody/Home"}, wrapperspb.String("hi"))
	if lkrpc.Code(err) != lkrpc.UnsupportedMethod || resp != nil {
		t.Errorf("Call to an unregistered method = %v, %v; want nil and code 1400", resp, err)
	}
}

// A handler built with Handle that returns a nil reply answers an empty
// message, as one built by hand does.
func TestHandleNilReplyIsEmptyMessage(t *testing.T) {
	lb := newLoopback()
	m := &lkrpc.Method{Name: "test.Nil/Nil"}
	unregister, err := lkrpc.Register(lb, []lkrpc.HandlerDesc{
		lkrpc.Handle(m, func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) { return nil, nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unregister()
	resp, err := lkrpc.Call[wrapperspb.StringValue](context.Background(), lkrpc.NewClient(lb, "bob"), m, wrapperspb.String("x"))
	if err != nil || resp.GetValue() != "" {
		t.Errorf("nil reply came back as %v, %v; want an empty message", resp, err)
	}
}
