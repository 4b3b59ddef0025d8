package runtime_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/codec"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// FuzzHandlerPayload feeds arbitrary request payloads to a handler: it
// answers every one either with a reply in the request's form or with
// MalformedRequest, and never fails otherwise.
func FuzzHandlerPayload(f *testing.F) {
	for _, s := range []string{"", "{}", `{"a":[1,{"b":null}]}`, "CgVoZWxsbw==", `"x"`, "5", "{", "@@@@", "\xff"} {
		f.Add(s)
	}
	lb := newLoopback()
	unregister, err := lkrpc.Register(lb, []lkrpc.HandlerDesc{echoDesc(echoMethod)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(unregister)
	f.Fuzz(func(t *testing.T, payload string) {
		reply, err := lb.Call(context.Background(), transport.Call{Method: echoMethod.Name, Payload: payload})
		if err != nil {
			wantCode(t, err, lkrpc.MalformedRequest)
			return
		}
		if payload != "" && reply.Payload != "" && codec.IsJSON(reply.Payload) != codec.IsJSON(payload) && codec.IsJSON(reply.Payload) != isBareJSON(payload) {
			t.Fatalf("request %q answered in another form: %q", payload, reply.Payload)
		}
		var req, resp = echoRequest(), echoRequest()
		if _, err := codec.Unmarshal(payload, req); err != nil {
			t.Fatalf("handler accepted %q that does not decode: %v", payload, err)
		}
		if _, err := codec.Unmarshal(reply.Payload, resp); err != nil || !proto.Equal(req, resp) {
			t.Fatalf("echo of %q is %q (%v)", payload, reply.Payload, err)
		}
	})
}

func echoRequest() proto.Message { return echoDesc(echoMethod).NewRequest() }

// isBareJSON: the payload decoded as JSON though Detect guessed binary.
func isBareJSON(payload string) bool {
	c, err := codec.Unmarshal(payload, echoRequest())
	return err == nil && c == codec.JSON
}
