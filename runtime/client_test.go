package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/codec"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func TestInvokeRoundTrip(t *testing.T) {
	lb := newLoopback()
	mustRegister(t, lb, []lkrpc.HandlerDesc{echoDesc(echoMethod)})
	req := mustStruct(t, map[string]any{"name": "bob", "n": 3.0, "tags": []any{"a", true}})
	var resp structpb.Struct
	if err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), echoMethod, req, &resp); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if !proto.Equal(req, &resp) {
		t.Errorf("echo returned %v, want %v", &resp, req)
	}
	call := lb.LastCall()
	if call.Destination != "bob" || call.Method != echoMethod.Name {
		t.Errorf("transport got destination %q method %q", call.Destination, call.Method)
	}
}

func TestCallerInfoInHandlerContext(t *testing.T) {
	lb := newLoopback()
	var got lkrpc.Caller
	var ok bool
	mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(ctx context.Context, req *wrapperspb.StringValue) (proto.Message, error) {
		got, ok = lkrpc.CallerFromContext(ctx)
		return req, nil
	})})
	start := time.Now()
	err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), new(wrapperspb.StringValue),
		lkrpc.WithTimeout(5*time.Second), lkrpc.WithCodec(lkrpc.CodecBinary), lkrpc.WithForm(transport.FormStream))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("CallerFromContext found nothing in the handler's context")
	}
	if got.Identity != "alice" || got.RequestID == "" || got.Method != greetMethod.Name {
		t.Errorf("caller = %+v", got)
	}
	if got.Codec != lkrpc.CodecBinary || got.Transfer.Form != transport.FormStream {
		t.Errorf("caller codec %v transfer %v", got.Codec, got.Transfer)
	}
	if d := got.Deadline.Sub(start); d < 4*time.Second || d > 6*time.Second {
		t.Errorf("deadline %v after the call started, want about 5s", d)
	}
	if _, ok := lkrpc.CallerFromContext(context.Background()); ok {
		t.Error("CallerFromContext found a caller outside a handler")
	}
}

func TestHandlerAnswersInCallersForm(t *testing.T) {
	for _, name := range []lkrpc.CodecName{lkrpc.CodecJSON, lkrpc.CodecBinary} {
		t.Run(name.String(), func(t *testing.T) {
			lb := newLoopback()
			var seen lkrpc.CodecName
			mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(ctx context.Context, req *wrapperspb.StringValue) (proto.Message, error) {
				c, _ := lkrpc.CallerFromContext(ctx)
				seen = c.Codec
				return greet(ctx, req)
			})})
			var resp wrapperspb.StringValue
			err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("bob"), &resp, lkrpc.WithCodec(name))
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetValue() != "hello, bob" {
				t.Errorf("reply %q", resp.GetValue())
			}
			want := map[lkrpc.CodecName]codec.Codec{lkrpc.CodecJSON: codec.JSON, lkrpc.CodecBinary: codec.Binary}[name]
			if c := codec.Detect(lb.LastCall().Payload); c != want {
				t.Errorf("request went as %s", c.Name())
			}
			if c := codec.Detect(lb.LastReply()); c != want {
				t.Errorf("reply %q came back as %s", lb.LastReply(), c.Name())
			}
			if seen != name {
				t.Errorf("handler saw codec %v", seen)
			}
		})
	}
}

// A JavaScript caller writes JSON by hand, with either field-name style,
// fields this handler does not know, or no payload at all.
func TestHandwrittenPayloadsFromJavaScript(t *testing.T) {
	lb := newLoopback()
	binaryGreet := &lkrpc.Method{Name: "test.v1.Echo/BinaryGreet", Codec: lkrpc.CodecBinary}
	mustRegister(t, lb, []lkrpc.HandlerDesc{
		echoDesc(echoMethod),
		stringDesc(greetMethod, greet),
		stringDesc(binaryGreet, greet),
		{
			Method:     &lkrpc.Method{Name: "test.v1.Echo/Double"},
			NewRequest: func() proto.Message { return new(wrapperspb.Int32Value) },
			Serve: func(ctx context.Context, req proto.Message) (proto.Message, error) {
				if c, _ := lkrpc.CallerFromContext(ctx); c.Codec != lkrpc.CodecJSON {
					return nil, fmt.Errorf("caller codec %v, want json", c.Codec)
				}
				return wrapperspb.Int32(2 * req.(*wrapperspb.Int32Value).GetValue()), nil
			},
		},
	})
	cases := []struct {
		method  string
		payload string
		reply   string
	}{
		{greetMethod.Name, `"js"`, `"hello, js"`},
		{"test.v1.Echo/Double", `21`, `42`},     // a bare JSON number: Int32Value
		{"test.v1.Echo/Double", `1234`, `2468`}, // also valid base64
		{greetMethod.Name, ``, `"hello, "`},     // empty: JSON method answers JSON
		{binaryGreet.Name, ``, "CgdoZWxsbywg"},  // empty: binary method answers binary
		{echoMethod.Name, `{"a": {"b": [1, "x"]}}`, `{"a":{"b":[1,"x"]}}`},
	}
	for _, c := range cases {
		reply, err := lb.Call(context.Background(), transport.Call{Method: c.method, Payload: c.payload})
		if err != nil {
			t.Errorf("%s %q: %v", c.method, c.payload, err)
			continue
		}
		if !sameJSONOrText(reply.Payload, c.reply) {
			t.Errorf("%s %q: reply %q, want %q", c.method, c.payload, reply.Payload, c.reply)
		}
	}
}

// sameJSONOrText compares JSON by value (protojson's spacing varies on
// purpose) and anything else byte for byte.
func sameJSONOrText(got, want string) bool {
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return got == want
	}
	return reflect.DeepEqual(g, w)
}

func TestCodecPrecedence(t *testing.T) {
	cases := []struct {
		name                 string
		method, client, call lkrpc.CodecName
		want                 codec.Codec
	}{
		{"nothing set is JSON", lkrpc.CodecDefault, lkrpc.CodecDefault, lkrpc.CodecDefault, codec.JSON},
		{"method", lkrpc.CodecBinary, lkrpc.CodecDefault, lkrpc.CodecDefault, codec.Binary},
		{"client beats method", lkrpc.CodecBinary, lkrpc.CodecJSON, lkrpc.CodecDefault, codec.JSON},
		{"call beats client", lkrpc.CodecJSON, lkrpc.CodecJSON, lkrpc.CodecBinary, codec.Binary},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lb := newLoopback()
			m := &lkrpc.Method{Name: greetMethod.Name, Codec: c.method}
			mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(m, greet)})
			cl := lkrpc.NewClient(lb, "bob", lkrpc.WithCodec(c.client))
			var resp wrapperspb.StringValue
			if err := cl.Invoke(context.Background(), m, wrapperspb.String("x"), &resp, lkrpc.WithCodec(c.call)); err != nil {
				t.Fatal(err)
			}
			if got := codec.Detect(lb.LastCall().Payload); got != c.want {
				t.Errorf("request encoded as %s, want %s", got.Name(), c.want.Name())
			}
		})
	}
}

func TestTimeoutPrecedence(t *testing.T) {
	cases := []struct {
		name                 string
		method, client, call time.Duration
		ctx                  time.Duration // 0: no deadline
		min, max             time.Duration
	}{
		{"nothing set leaves it to the transport", 0, 0, 0, 0, 0, 0},
		{"method", 4 * time.Second, 0, 0, 0, 4 * time.Second, 4 * time.Second},
		{"client beats method", 4 * time.Second, 3 * time.Second, 0, 0, 3 * time.Second, 3 * time.Second},
		{"call beats client", 4 * time.Second, 3 * time.Second, 2 * time.Second, 0, 2 * time.Second, 2 * time.Second},
		{"call option longer than method", 4 * time.Second, 0, 9 * time.Second, 0, 9 * time.Second, 9 * time.Second},
		{"sooner ctx deadline cuts the call option", 0, 0, 9 * time.Second, time.Second, 500 * time.Millisecond, time.Second},
		{"sooner ctx deadline cuts the method's", 4 * time.Second, 0, 0, time.Second, 500 * time.Millisecond, time.Second},
		{"ctx deadline alone", 0, 0, 0, time.Second, 500 * time.Millisecond, time.Second},
		{"later ctx deadline does not extend", 0, 0, 2 * time.Second, time.Hour, 2 * time.Second, 2 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lb := newLoopback()
			m := &lkrpc.Method{Name: greetMethod.Name, Timeout: c.method}
			mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(m, greet)})
			ctx := context.Background()
			if c.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.ctx)
				defer cancel()
			}
			cl := lkrpc.NewClient(lb, "bob", lkrpc.WithTimeout(c.client))
			if err := cl.Invoke(ctx, m, wrapperspb.String("x"), new(wrapperspb.StringValue), lkrpc.WithTimeout(c.call)); err != nil {
				t.Fatal(err)
			}
			if got := lb.LastCall().Timeout; got < c.min || got > c.max {
				t.Errorf("timeout %v, want in [%v, %v]", got, c.min, c.max)
			}
		})
	}
}

func TestExpiredContextIsResponseTimeoutAndSendsNothing(t *testing.T) {
	lb := newLoopback()
	mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, greet)})
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	err := lkrpc.NewClient(lb, "bob").Invoke(ctx, greetMethod, wrapperspb.String("x"), new(wrapperspb.StringValue))
	e := wantCode(t, err, lkrpc.ResponseTimeout)
	if e.Message != "Response timeout" {
		t.Errorf("message %q", e.Message)
	}
	if n := len(lb.Calls()); n != 0 {
		t.Errorf("%d calls reached the transport", n)
	}
}

func TestCancelWrapsContextCanceled(t *testing.T) {
	t.Run("before the call", func(t *testing.T) {
		lb := newLoopback()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := lkrpc.NewClient(lb, "bob").Invoke(ctx, greetMethod, wrapperspb.String("x"), new(wrapperspb.StringValue))
		if !errors.Is(err, context.Canceled) || lkrpc.Code(err) != 0 {
			t.Errorf("error %v (code %d), want context.Canceled and no code", err, lkrpc.Code(err))
		}
		if len(lb.Calls()) != 0 {
			t.Error("a call reached the transport")
		}
	})
	t.Run("during the call", func(t *testing.T) {
		lb := newLoopback()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(hctx context.Context, _ *wrapperspb.StringValue) (proto.Message, error) {
			cancel() // the caller gives up while the handler runs
			<-hctx.Done()
			return nil, hctx.Err()
		})})
		err := lkrpc.NewClient(lb, "bob").Invoke(ctx, greetMethod, wrapperspb.String("x"), new(wrapperspb.StringValue))
		if !errors.Is(err, context.Canceled) || lkrpc.Code(err) != 0 {
			t.Errorf("error %v (code %d), want context.Canceled and no code", err, lkrpc.Code(err))
		}
	})
}

// cancelingTransport fails every call with a bare context error, as a
// transport might; the runtime must still apply the documented mapping.
type cancelingTransport struct {
	transport.Transport
	err error
}

func (c cancelingTransport) Call(context.Context, transport.Call) (transport.Reply, error) {
	return transport.Reply{}, c.err
}

func TestTransportContextErrorsAreMapped(t *testing.T) {
	err := lkrpc.NewClient(cancelingTransport{err: context.DeadlineExceeded}, "bob").
		Invoke(context.Background(), greetMethod, wrapperspb.String("x"), nil)
	wantCode(t, err, lkrpc.ResponseTimeout)
	err = lkrpc.NewClient(cancelingTransport{err: context.Canceled}, "bob").
		Invoke(context.Background(), greetMethod, wrapperspb.String("x"), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	other := errors.New("link closed")
	err = lkrpc.NewClient(cancelingTransport{err: other}, "bob").
		Invoke(context.Background(), greetMethod, wrapperspb.String("x"), nil)
	if !errors.Is(err, other) {
		t.Errorf("error %v does not wrap the transport's", err)
	}
}

func TestForcedFormAndReport(t *testing.T) {
	lb := newLoopback()
	mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, greet)})
	var rep lkrpc.CallReport
	cl := lkrpc.NewClient(lb, "bob")
	err := cl.Invoke(context.Background(), greetMethod, wrapperspb.String("bob"), new(wrapperspb.StringValue),
		lkrpc.WithForm(transport.FormStream), lkrpc.WithCodec(lkrpc.CodecBinary), lkrpc.WithReport(&rep))
	if err != nil {
		t.Fatal(err)
	}
	if lb.LastCall().Force != transport.FormStream {
		t.Errorf("form %v reached the transport", lb.LastCall().Force)
	}
	if rep.Method != greetMethod.Name || rep.Destination != "bob" || rep.Codec != lkrpc.CodecBinary {
		t.Errorf("report %+v", rep)
	}
	if rep.RequestBytes != len(lb.LastCall().Payload) || rep.ResponseBytes != len(lb.LastReply()) || rep.ResponseBytes == 0 {
		t.Errorf("report sizes %d/%d, wire %d/%d", rep.RequestBytes, rep.ResponseBytes, len(lb.LastCall().Payload), len(lb.LastReply()))
	}
	if rep.Request.Form != transport.FormStream || rep.Response.Form != transport.FormStream {
		t.Errorf("report transfers %v / %v", rep.Request, rep.Response)
	}
	if rep.Duration <= 0 || rep.Err != nil {
		t.Errorf("report duration %v err %v", rep.Duration, rep.Err)
	}

	// A failed call fills the report too.
	err = cl.Invoke(context.Background(), otherMethod, wrapperspb.String("x"), nil, lkrpc.WithReport(&rep))
	if rep.Err == nil || rep.Err != err || rep.Method != otherMethod.Name || rep.ResponseBytes != 0 {
		t.Errorf("report after failure %+v (call error %v)", rep, err)
	}
}

func TestInvokeRejectsMisuse(t *testing.T) {
	if err := lkrpc.NewClient(nil, "bob").Invoke(context.Background(), greetMethod, nil, nil); err == nil {
		t.Error("a client without transport called")
	}
	if err := lkrpc.NewClient(newLoopback(), "bob").Invoke(context.Background(), &lkrpc.Method{}, nil, nil); err == nil {
		t.Error("a call without method name went out")
	}
	err := lkrpc.NewClient(newLoopback(), "bob").Invoke(context.Background(), greetMethod, nil, nil, lkrpc.WithCodec(lkrpc.CodecName(9)))
	if err == nil || !strings.Contains(err.Error(), "unknown codec") {
		t.Errorf("unknown codec: %v", err)
	}
	// A request that cannot be encoded is the caller's bug: a plain Go error.
	err = lkrpc.NewClient(newLoopback(), "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("\xff"), nil)
	if err == nil || lkrpc.Code(err) != 0 || !strings.Contains(err.Error(), greetMethod.Name) {
		t.Errorf("unencodable request: %v", err)
	}
}
