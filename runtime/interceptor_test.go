package runtime_test

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/codec"
)

func TestInterceptorOrder(t *testing.T) {
	var order []string
	client := func(name string) lkrpc.ClientInterceptor {
		return func(ctx context.Context, call *lkrpc.ClientCall, next lkrpc.Invoker) error {
			order = append(order, name+" in")
			err := next(ctx, call)
			order = append(order, name+" out")
			return err
		}
	}
	server := func(name string) lkrpc.ServerInterceptor {
		return func(ctx context.Context, req proto.Message, _ *lkrpc.HandlerInfo, next lkrpc.UnaryHandler) (proto.Message, error) {
			order = append(order, name+" in")
			resp, err := next(ctx, req)
			order = append(order, name+" out")
			return resp, err
		}
	}
	lb := newLoopback()
	mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(ctx context.Context, req *wrapperspb.StringValue) (proto.Message, error) {
		order = append(order, "handler")
		return greet(ctx, req)
	})},
		lkrpc.WithServerInterceptors(server("s1"), server("s2")),
		lkrpc.WithServerInterceptors(server("s3")))
	cl := lkrpc.NewClient(lb, "bob", lkrpc.WithClientInterceptors(client("c1"), client("c2")))
	if err := cl.Invoke(context.Background(), greetMethod, wrapperspb.String("x"), new(wrapperspb.StringValue),
		lkrpc.WithClientInterceptors(client("c3"))); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"c1 in", "c2 in", "c3 in",
		"s1 in", "s2 in", "s3 in", "handler", "s3 out", "s2 out", "s1 out",
		"c3 out", "c2 out", "c1 out",
	}
	if !slices.Equal(order, want) {
		t.Errorf("order\n got %q\nwant %q", order, want)
	}
}

func TestClientInterceptorSeesResolvedCallAndMayChangeIt(t *testing.T) {
	lb := newLoopback()
	mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, greet)})
	var seen lkrpc.ClientCall
	ic := func(ctx context.Context, call *lkrpc.ClientCall, next lkrpc.Invoker) error {
		seen = *call
		call.Codec = lkrpc.CodecBinary
		call.Request = wrapperspb.String("rewritten")
		return next(ctx, call)
	}
	var resp wrapperspb.StringValue
	err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), &resp, lkrpc.WithClientInterceptors(ic))
	if err != nil {
		t.Fatal(err)
	}
	if seen.Codec != lkrpc.CodecJSON || seen.Method != greetMethod || seen.Destination != "bob" || seen.Response != &resp {
		t.Errorf("interceptor saw %+v", seen)
	}
	if codec.Detect(lb.LastCall().Payload) != codec.Binary || resp.GetValue() != "hello, rewritten" {
		t.Errorf("change not applied: payload %q reply %q", lb.LastCall().Payload, resp.GetValue())
	}
}

func TestClientInterceptorMayAnswerWithoutSending(t *testing.T) {
	lb := newLoopback()
	cached := func(_ context.Context, call *lkrpc.ClientCall, _ lkrpc.Invoker) error {
		proto.Merge(call.Response, wrapperspb.String("from cache"))
		return nil
	}
	var resp wrapperspb.StringValue
	err := lkrpc.NewClient(lb, "bob", lkrpc.WithClientInterceptors(cached)).
		Invoke(context.Background(), greetMethod, wrapperspb.String("x"), &resp)
	if err != nil || resp.GetValue() != "from cache" || len(lb.Calls()) != 0 {
		t.Errorf("err %v reply %q calls %d", err, resp.GetValue(), len(lb.Calls()))
	}
}
