package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func TestMalformedRequestIs2400(t *testing.T) {
	lb := newLoopback()
	ran := false
	mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(ctx context.Context, req *wrapperspb.StringValue) (proto.Message, error) {
		ran = true
		return req, nil
	})})
	for _, payload := range []string{`{"value": `, `{"value": 5}`, `[1, 2]`, "!!not base64!!", "CgVo"} {
		_, err := lb.Call(context.Background(), transport.Call{Method: greetMethod.Name, Payload: payload})
		e := wantCode(t, err, lkrpc.MalformedRequest)
		if !strings.Contains(e.Message, greetMethod.Name) {
			t.Errorf("%q: message %q does not name the method", payload, e.Message)
		}
	}
	if ran {
		t.Error("the handler ran on a malformed request")
	}
}

func TestMalformedResponseIs2401(t *testing.T) {
	lb := newLoopback()
	mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, greet)})
	lb.SetTamper(func(string) string { return `{"value": true}` })
	err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), new(wrapperspb.StringValue))
	wantCode(t, err, lkrpc.MalformedResponse)
}

// A panic is recovered by the transport, never sends its text (whatever
// WithErrorText says), is logged with its stack by the Conn's logger, and
// the participant goes on serving.
func TestPanicIs1500AndTheProcessLives(t *testing.T) {
	for _, errorText := range []bool{false, true} {
		t.Run(fmt.Sprintf("errorText=%v", errorText), func(t *testing.T) {
			var logs logBuffer
			caller, handler := connPair(t, logs.logger())
			mustRegister(t, handler, []lkrpc.HandlerDesc{
				stringDesc(greetMethod, func(context.Context, *wrapperspb.StringValue) (proto.Message, error) {
					panic("secret boom")
				}),
				stringDesc(otherMethod, greet),
			}, lkrpc.WithErrorText(errorText))
			cl := lkrpc.NewClient(caller, "bob")
			err := cl.Invoke(context.Background(), greetMethod, wrapperspb.String("x"), new(wrapperspb.StringValue))
			e := wantCode(t, err, lkrpc.ApplicationError)
			if e.Message != "Application error in method handler" || strings.Contains(e.Data, "boom") {
				t.Errorf("caller learned %q / %q, want the SDKs' generic text", e.Message, e.Data)
			}
			if l := logs.String(); !strings.Contains(l, "panicked") || !strings.Contains(l, "secret boom") || !strings.Contains(l, "goroutine") {
				t.Errorf("panic not logged with its stack: %s", l)
			}
			// Still serving.
			var resp wrapperspb.StringValue
			if err := cl.Invoke(context.Background(), otherMethod, wrapperspb.String("again"), &resp); err != nil || resp.GetValue() != "hello, again" {
				t.Errorf("after the panic: %v %q", err, resp.GetValue())
			}
		})
	}
}

func TestNonRPCErrorPolicy(t *testing.T) {
	secret := errors.New("dial tcp 10.0.0.7:5432: connection refused")
	handler := func(context.Context, *wrapperspb.StringValue) (proto.Message, error) { return nil, secret }

	t.Run("hidden by default, logged by the transport", func(t *testing.T) {
		var logs logBuffer
		caller, bob := connPair(t, logs.logger())
		mustRegister(t, bob, []lkrpc.HandlerDesc{stringDesc(greetMethod, handler)})
		err := lkrpc.NewClient(caller, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), nil)
		e := wantCode(t, err, lkrpc.ApplicationError)
		if e.Message != "Application error in method handler" || e.Data != "" || e.Cause != nil {
			t.Errorf("caller learned %q / %q / %v", e.Message, e.Data, e.Cause)
		}
		if !strings.Contains(logs.String(), "10.0.0.7") {
			t.Errorf("hidden error not logged locally: %s", logs.String())
		}
	})
	t.Run("sent with WithErrorText", func(t *testing.T) {
		lb := newLoopback()
		mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, handler)}, lkrpc.WithErrorText(true))
		err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), nil)
		if e := wantCode(t, err, lkrpc.ApplicationError); e.Message != secret.Error() {
			t.Errorf("message %q, want %q", e.Message, secret.Error())
		}
	})
}

func TestHandlerErrorsMapping(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		code    int
		message string
	}{
		{"rpc error as is", lkrpc.NewError(4001, "out of stock"), 4001, "out of stock"},
		{"wrapped rpc error unwrapped", fmt.Errorf("reserve: %w", lkrpc.NewError(4001, "out of stock")), 4001, "out of stock"},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), lkrpc.ResponseTimeout, "Response timeout"},
		{"unimplemented", lkrpc.Unimplemented(greetMethod.Name), lkrpc.UnsupportedMethod, "Method not supported at destination"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lb := newLoopback()
			mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(context.Context, *wrapperspb.StringValue) (proto.Message, error) {
				return nil, c.err
			})})
			err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), nil)
			if e := wantCode(t, err, c.code); e.Message != c.message {
				t.Errorf("message %q, want %q", e.Message, c.message)
			}
		})
	}
}

func TestUnregisteredMethodLooksLikeUnimplemented(t *testing.T) {
	err := lkrpc.NewClient(newLoopback(), "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), nil)
	got := wantCode(t, err, lkrpc.UnsupportedMethod)
	want := rpcError(t, lkrpc.Unimplemented(greetMethod.Name))
	if *got != *want {
		t.Errorf("unregistered %+v, Unimplemented %+v", got, want)
	}
}

// A nil response is an empty message: a typed nil (what generated code
// passes on) in its type's own form, an untyped nil as "{}" or "".
func TestNilResponseIsAnEmptyMessage(t *testing.T) {
	cases := []struct {
		name string
		resp proto.Message
		out  proto.Message
	}{
		{"typed nil", (*wrapperspb.StringValue)(nil), wrapperspb.String("stale")},
		{"untyped nil", nil, mustStruct(t, map[string]any{"stale": true})},
	}
	for _, c := range cases {
		for _, cn := range []lkrpc.CodecName{lkrpc.CodecJSON, lkrpc.CodecBinary} {
			lb := newLoopback()
			mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(context.Context, *wrapperspb.StringValue) (proto.Message, error) {
				return c.resp, nil
			})})
			if err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), c.out, lkrpc.WithCodec(cn)); err != nil {
				t.Fatalf("%s/%v: %v", c.name, cn, err)
			}
			if !proto.Equal(c.out, c.out.ProtoReflect().Type().New().Interface()) {
				t.Errorf("%s/%v: reply %v, want empty", c.name, cn, c.out)
			}
		}
	}
}

func TestSizeLimits(t *testing.T) {
	big := wrapperspb.String(strings.Repeat("x", 100))
	limited := func(req, resp int) *lkrpc.Method {
		return &lkrpc.Method{Name: greetMethod.Name, MaxRequestBytes: req, MaxResponseBytes: resp}
	}
	cases := []struct {
		name            string
		caller, handler *lkrpc.Method
		code            int
		sent, ran       bool
	}{
		{"request over the caller's limit is not sent", limited(50, 0), limited(0, 0), lkrpc.RequestPayloadTooLarge, false, false},
		{"request over the handler's limit is refused", limited(0, 0), limited(50, 0), lkrpc.RequestPayloadTooLarge, true, false},
		{"response over the handler's limit", limited(0, 0), limited(0, 50), lkrpc.ResponsePayloadTooLarge, true, true},
		{"response over the caller's limit", limited(0, 50), limited(0, 0), lkrpc.ResponsePayloadTooLarge, true, true},
		{"within limits", limited(200, 200), limited(200, 200), 0, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lb := newLoopback()
			ran := false
			mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(c.handler, func(ctx context.Context, req *wrapperspb.StringValue) (proto.Message, error) {
				ran = true
				return req, nil
			})})
			err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), c.caller, big, new(wrapperspb.StringValue))
			if c.code == 0 && err != nil {
				t.Fatalf("error %v", err)
			}
			if c.code != 0 {
				wantCode(t, err, c.code)
			}
			if sent := len(lb.Calls()) > 0; sent != c.sent || ran != c.ran {
				t.Errorf("sent %v ran %v, want %v %v", sent, ran, c.sent, c.ran)
			}
		})
	}
}

func TestAuthorizer(t *testing.T) {
	var seen []string
	authz := func(_ context.Context, c lkrpc.Caller) error {
		seen = append(seen, c.Identity+" "+c.Method)
		switch c.Method {
		case otherMethod.Name:
			return lkrpc.NewError(lkrpc.PermissionDenied, "hosts only")
		case echoMethod.Name:
			return errors.New("not on the guest list: internal reason")
		}
		return nil
	}
	lb := newLoopback()
	ran := 0
	count := func(ctx context.Context, req *wrapperspb.StringValue) (proto.Message, error) {
		ran++
		return greet(ctx, req)
	}
	mustRegister(t, lb, []lkrpc.HandlerDesc{
		stringDesc(greetMethod, count), stringDesc(otherMethod, count), stringDesc(echoMethod, count),
	}, lkrpc.WithAuthorizer(authz))
	cl := lkrpc.NewClient(lb, "bob")

	if err := cl.Invoke(context.Background(), greetMethod, wrapperspb.String("x"), new(wrapperspb.StringValue)); err != nil {
		t.Fatalf("allowed call: %v", err)
	}
	err := cl.Invoke(context.Background(), echoMethod, wrapperspb.String("x"), nil)
	if e := wantCode(t, err, lkrpc.PermissionDenied); e.Message != "Permission denied" {
		t.Errorf("plain refusal message %q", e.Message)
	}
	err = cl.Invoke(context.Background(), otherMethod, wrapperspb.String("x"), nil)
	if e := wantCode(t, err, lkrpc.PermissionDenied); e.Message != "hosts only" {
		t.Errorf("*Error refusal message %q", e.Message)
	}
	// Refused before decoding: a malformed request from a refused caller
	// learns nothing about the payload format.
	_, err = lb.Call(context.Background(), transport.Call{Method: echoMethod.Name, Payload: "{garbage"})
	wantCode(t, err, lkrpc.PermissionDenied)

	if ran != 1 {
		t.Errorf("handlers ran %d times, want 1", ran)
	}
	want := []string{"alice " + greetMethod.Name, "alice " + echoMethod.Name, "alice " + otherMethod.Name, "alice " + echoMethod.Name}
	if !slices.Equal(seen, want) {
		t.Errorf("authorizer saw %q", seen)
	}
}

func TestRegisterIsAllOrNothing(t *testing.T) {
	lb := newLoopback()
	unregister, err := lkrpc.Register(lb, []lkrpc.HandlerDesc{echoDesc(echoMethod), stringDesc(greetMethod, greet)})
	if err != nil {
		t.Fatal(err)
	}
	// otherMethod is new, greetMethod is taken: neither may stay.
	_, err = lkrpc.Register(lb, []lkrpc.HandlerDesc{stringDesc(otherMethod, greet), stringDesc(greetMethod, greet)})
	if err == nil || !strings.Contains(err.Error(), greetMethod.Name) {
		t.Fatalf("second registration: %v, want an error naming %s", err, greetMethod.Name)
	}
	got := lb.Registered()
	slices.Sort(got)
	if want := []string{echoMethod.Name, greetMethod.Name}; !slices.Equal(got, want) {
		t.Errorf("registered %q, want %q", got, want)
	}
	// The first registration still serves.
	var resp wrapperspb.StringValue
	if err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), &resp); err != nil {
		t.Errorf("after the failed registration: %v", err)
	}

	unregister()
	unregister() // idempotent
	if got := lb.Registered(); len(got) != 0 {
		t.Errorf("after unregister: %q", got)
	}
	again, err := lkrpc.Register(lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, greet)})
	if err != nil {
		t.Fatalf("register after unregister: %v", err)
	}
	again()
}

func TestRegisterRejectsIncompleteDescriptions(t *testing.T) {
	lb := newLoopback()
	good := stringDesc(greetMethod, greet)
	bad := []lkrpc.HandlerDesc{
		{},
		{Method: &lkrpc.Method{}, NewRequest: good.NewRequest, Serve: good.Serve},
		{Method: otherMethod, Serve: good.Serve},
		{Method: otherMethod, NewRequest: good.NewRequest},
		{Method: &lkrpc.Method{Name: "x", Codec: lkrpc.CodecName(42)}, NewRequest: good.NewRequest, Serve: good.Serve},
	}
	for i, d := range bad {
		if _, err := lkrpc.Register(lb, []lkrpc.HandlerDesc{good, d}); err == nil {
			t.Errorf("description %d accepted", i)
		}
		if got := lb.Registered(); len(got) != 0 {
			t.Errorf("description %d left %q registered", i, got)
		}
	}
	if _, err := lkrpc.Register(nil, []lkrpc.HandlerDesc{good}); err == nil {
		t.Error("nil transport accepted")
	}
}

func TestServerInterceptorSeesTypedRequestAndCanReplaceResponse(t *testing.T) {
	lb := newLoopback()
	var info *lkrpc.HandlerInfo
	ic := func(ctx context.Context, req proto.Message, i *lkrpc.HandlerInfo, next lkrpc.UnaryHandler) (proto.Message, error) {
		info = i
		if s, ok := req.(*structpb.Struct); ok && s.GetFields()["block"].GetBoolValue() {
			return nil, lkrpc.NewError(4003, "blocked by interceptor")
		}
		resp, err := next(ctx, req)
		if err != nil {
			return nil, err
		}
		out := proto.Clone(resp).(*structpb.Struct)
		out.Fields["seen"] = structpb.NewBoolValue(true)
		return out, nil
	}
	mustRegister(t, lb, []lkrpc.HandlerDesc{echoDesc(echoMethod)}, lkrpc.WithServerInterceptors(ic))
	cl := lkrpc.NewClient(lb, "bob")
	var resp structpb.Struct
	if err := cl.Invoke(context.Background(), echoMethod, mustStruct(t, map[string]any{"a": 1.0}), &resp); err != nil {
		t.Fatal(err)
	}
	if !resp.GetFields()["seen"].GetBoolValue() {
		t.Errorf("response %v not replaced", &resp)
	}
	if info == nil || info.Method != echoMethod || info.Caller.Identity != "alice" {
		t.Errorf("info %+v", info)
	}
	err := cl.Invoke(context.Background(), echoMethod, mustStruct(t, map[string]any{"block": true}), &resp)
	wantCode(t, err, 4003)
}
