package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"io"
	"log/slog"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

// Methods of the test service. Requests and responses are well-known types
// so that no protoc run is needed.
var (
	echoMethod  = &lkrpc.Method{Name: "test.v1.Echo/Echo"}       // Struct → Struct
	greetMethod = &lkrpc.Method{Name: "test.v1.Echo/Greet"}      // StringValue → StringValue
	otherMethod = &lkrpc.Method{Name: "test.v1.Other/Something"} // StringValue → StringValue
)

// echoDesc serves echoMethod (or a copy of it): it returns the request.
func echoDesc(m *lkrpc.Method) lkrpc.HandlerDesc {
	return lkrpc.HandlerDesc{
		Method:     m,
		NewRequest: func() proto.Message { return new(structpb.Struct) },
		Serve: func(ctx context.Context, req proto.Message) (proto.Message, error) {
			return req, nil
		},
	}
}

// stringDesc serves m with fn on StringValue messages.
func stringDesc(m *lkrpc.Method, fn func(ctx context.Context, req *wrapperspb.StringValue) (proto.Message, error)) lkrpc.HandlerDesc {
	return lkrpc.HandlerDesc{
		Method:     m,
		NewRequest: func() proto.Message { return new(wrapperspb.StringValue) },
		Serve: func(ctx context.Context, req proto.Message) (proto.Message, error) {
			return fn(ctx, req.(*wrapperspb.StringValue))
		},
	}
}

// greet answers "hello, <name>".
func greet(_ context.Context, req *wrapperspb.StringValue) (proto.Message, error) {
	return wrapperspb.String("hello, " + req.GetValue()), nil
}

func mustRegister(t *testing.T, tr lkrpc.Transport, descs []lkrpc.HandlerDesc, opts ...lkrpc.HandlerOption) {
	t.Helper()
	unregister, err := lkrpc.Register(tr, descs, opts...)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	t.Cleanup(unregister)
}

func mustStruct(t *testing.T, v map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// connPair joins a caller ("alice") and a handler ("bob") to a fresh
// in-memory room; the handler's Conn logs to handlerLog.
func connPair(t *testing.T, handlerLog *slog.Logger) (caller, handler *lkrpc.Conn) {
	t.Helper()
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(room.Close)
	if handler, err = lkrpc.ConnectMemory(room, "bob", lkrpc.WithLogger(handlerLog)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { handler.Close() })
	if caller, err = lkrpc.ConnectMemory(room, "alice", lkrpc.WithLogger(quietLogger())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { caller.Close() })
	return caller, handler
}

// logBuffer is a logger writing into a buffer that tests can read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// rpcError returns err's *Error or fails the test.
func rpcError(t *testing.T, err error) *lkrpc.Error {
	t.Helper()
	var e *lkrpc.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *lkrpc.Error", err, err)
	}
	return e
}

func wantCode(t *testing.T, err error, code int) *lkrpc.Error {
	t.Helper()
	e := rpcError(t, err)
	if e.Code != code {
		t.Fatalf("code %d (%v), want %d", e.Code, e, code)
	}
	return e
}

func protoreflectInt32(v int32) protoreflect.Value { return protoreflect.ValueOfInt32(v) }
