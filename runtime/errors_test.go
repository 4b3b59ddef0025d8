package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

func TestTypedErrorDetailsRoundTrip(t *testing.T) {
	details := []proto.Message{
		wrapperspb.String("seat 12F"),
		durationpb.New(3 * time.Second),
		mustStruct(t, map[string]any{"retry": true, "left": 2.0}),
	}
	lb := newLoopback()
	mustRegister(t, lb, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(context.Context, *wrapperspb.StringValue) (proto.Message, error) {
		return nil, lkrpc.NewError(4009, "seat taken", details...)
	})})
	err := lkrpc.NewClient(lb, "bob").Invoke(context.Background(), greetMethod, wrapperspb.String("x"), nil)
	e := wantCode(t, err, 4009)
	if e.Message != "seat taken" {
		t.Errorf("message %q", e.Message)
	}
	got, derr := lkrpc.ErrorDetails(err)
	if derr != nil {
		t.Fatalf("ErrorDetails: %v", derr)
	}
	if len(got) != len(details) {
		t.Fatalf("%d details, want %d", len(got), len(details))
	}
	for i := range details {
		if !proto.Equal(got[i], details[i]) {
			t.Errorf("detail %d: %v, want %v", i, got[i], details[i])
		}
	}

	// What JavaScript sees: JSON.parse(error.data).details[i]["@type"] …
	var fromJS struct {
		Details []map[string]any `json:"details"`
	}
	if err := json.Unmarshal([]byte(e.Data), &fromJS); err != nil {
		t.Fatalf("data is not JSON: %v\n%s", err, e.Data)
	}
	if len(fromJS.Details) != 3 ||
		fromJS.Details[0]["@type"] != "type.googleapis.com/google.protobuf.StringValue" || fromJS.Details[0]["value"] != "seat 12F" ||
		fromJS.Details[1]["value"] != "3s" {
		t.Errorf("data as JavaScript reads it: %v", fromJS.Details)
	}
}

func TestErrorDetailsOfOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("plain"), lkrpc.NewError(4000, "no details"), rpcerr.New(1500, "x")} {
		if d, derr := lkrpc.ErrorDetails(err); d != nil || derr != nil {
			t.Errorf("ErrorDetails(%v) = %v, %v; want nil, nil", err, d, derr)
		}
	}
	if e := lkrpc.NewError(4000, "no details"); e.Data != "" {
		t.Errorf("Data %q without details", e.Data)
	}
	_, derr := lkrpc.ErrorDetails(&lkrpc.Error{Code: 4000, Data: "free text from a JS app"})
	if derr == nil || !strings.Contains(derr.Error(), "not lkrpc error details") {
		t.Errorf("free-text data: %v", derr)
	}
}

func TestErrorDetailsOfUnknownTypeKeepTheRest(t *testing.T) {
	data := `{"details":[{"@type":"type.googleapis.com/acme.v1.Missing","x":1},` +
		`{"@type":"type.googleapis.com/google.protobuf.StringValue","value":"kept"},{"no":"type"}]}`
	e := &lkrpc.Error{Code: 4000, Message: "m", Data: data}
	got, err := lkrpc.ErrorDetails(e)
	if !errors.Is(err, protoregistry.NotFound) || !strings.Contains(err.Error(), "acme.v1.Missing") {
		t.Errorf("error %v, want one naming acme.v1.Missing and wrapping protoregistry.NotFound", err)
	}
	if err == nil || !strings.Contains(err.Error(), "detail 2") {
		t.Errorf("error %v does not mention the untyped detail", err)
	}
	if len(got) != 1 || !proto.Equal(got[0], wrapperspb.String("kept")) {
		t.Errorf("decodable details %v", got)
	}
	if e.Data != data {
		t.Error("raw data changed")
	}
}

func TestNewErrorKeepsDataWithinTheWireLimit(t *testing.T) {
	logs := captureDefaultLog(t)
	big := wrapperspb.String(strings.Repeat("a", 10000))
	small := wrapperspb.String("small")
	e := lkrpc.NewError(4000, "m", big, big, small)
	if len(e.Data) > rpcerr.MaxDataBytes {
		t.Fatalf("data is %d bytes, over %d", len(e.Data), rpcerr.MaxDataBytes)
	}
	got, err := lkrpc.ErrorDetails(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !proto.Equal(got[0], big) || !proto.Equal(got[1], small) {
		t.Errorf("kept %d details", len(got))
	}
	// Nothing fits: no data at all rather than broken JSON.
	huge := wrapperspb.String(strings.Repeat("a", rpcerr.MaxDataBytes))
	if e := lkrpc.NewError(4000, "m", huge, nil, wrapperspb.String("\xff")); e.Data != "" {
		t.Errorf("data %d bytes when no detail fits or encodes", len(e.Data))
	}
	if l := logs.String(); strings.Count(l, "error detail left out") != 4 {
		t.Errorf("left-out details not all logged:\n%s", l)
	}
}

// captureDefaultLog points slog's default logger at a buffer for one test.
func captureDefaultLog(t *testing.T) *logBuffer {
	var logs logBuffer
	old := slog.Default()
	slog.SetDefault(logs.logger())
	t.Cleanup(func() { slog.SetDefault(old) })
	return &logs
}

// A detail whose type is not in the global registry (built at run time)
// still encodes; a Go receiver without the type gets a clear error.
func TestDynamicDetailEncodes(t *testing.T) {
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:    proto.String("dyn.proto"),
		Package: proto.String("test.dyn"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Reason"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name: proto.String("retry_after_ms"), JsonName: proto.String("retryAfterMs"), Number: proto.Int32(1),
				Type:  descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum(),
				Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			}},
		}},
	}, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	m := dynamicpb.NewMessage(fd.Messages().ByName("Reason"))
	m.Set(fd.Messages().ByName("Reason").Fields().ByNumber(1), protoreflectInt32(250))
	e := lkrpc.NewError(4000, "later", m)
	if !strings.Contains(e.Data, `"type.googleapis.com/test.dyn.Reason"`) || !strings.Contains(e.Data, `"retryAfterMs"`) {
		t.Errorf("data %s", e.Data)
	}
	if _, err := lkrpc.ErrorDetails(e); !errors.Is(err, protoregistry.NotFound) {
		t.Errorf("ErrorDetails: %v", err)
	}
}

func TestCodeOf(t *testing.T) {
	if lkrpc.Code(lkrpc.NewError(4001, "x")) != 4001 || lkrpc.Code(errors.New("x")) != 0 {
		t.Error("Code")
	}
}
