package methodspec

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
)

func TestValidateWireName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string // "" for valid
	}{
		{"example.v1.Greeter/SayHello", ""},
		{"ping", ""},
		{"grüße", ""},
		{strings.Repeat("x", MaxWireNameBytes), ""},
		{strings.Repeat("é", MaxWireNameBytes/2), ""}, // 254 bytes
		{"", "empty wire name"},
		{strings.Repeat("x", MaxWireNameBytes+1), "wire name is 256 bytes long, more than 255"},
		{"bad\xff", `wire name "bad\xff" is not valid UTF-8`},
		{"tab\there", `wire name "tab\there" contains control character U+0009`},
		{"del\x7f", `wire name "del\x7f" contains control character U+007F`},
		{"c1\u0085", `wire name "c1\u0085" contains control character U+0085`},
	}
	for _, tc := range tests {
		err := ValidateWireName(tc.name)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("ValidateWireName(%q) = %v, want nil", tc.name, err)
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
			t.Errorf("ValidateWireName(%q) = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestFirstNonZero(t *testing.T) {
	if got := firstNonZero[uint32](0, 5, 7); got != 5 {
		t.Errorf("firstNonZero(0, 5, 7) = %d, want 5", got)
	}
	if got := firstNonZero[uint32](0, 0); got != 0 {
		t.Errorf("firstNonZero(0, 0) = %d, want 0", got)
	}
}

// The generator's golden tests cover Resolve on every option; this checks
// the one path they cannot: options held as unknown fields, as descriptors
// built at run time from a descriptor set carry them.
func TestResolveReadsOptionsFromUnknownFields(t *testing.T) {
	opts := &descriptorpb.MethodOptions{}
	proto.SetExtension(opts, lkrpcv1.E_Method, &lkrpcv1.MethodOptions{Name: "ping", TimeoutMs: 1500})
	raw, err := proto.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	unknown := &descriptorpb.MethodOptions{}
	if err := (proto.UnmarshalOptions{Resolver: new(protoregistry.Types)}).Unmarshal(raw, unknown); err != nil {
		t.Fatal(err)
	}
	if proto.HasExtension(unknown, lkrpcv1.E_Method) {
		t.Fatal("the extension was parsed; the test needs it unknown")
	}
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:        proto.String("t.proto"),
		Package:     proto.String("t.v1"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("M")}},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("S"),
			Method: []*descriptorpb.MethodDescriptorProto{
				{Name: proto.String("Ping"), InputType: proto.String(".t.v1.M"), OutputType: proto.String(".t.v1.M"), Options: unknown},
				{Name: proto.String("Plain"), InputType: proto.String(".t.v1.M"), OutputType: proto.String(".t.v1.M")},
			},
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	methods := fd.Services().Get(0).Methods()
	got, err := Resolve(methods.Get(0))
	if err != nil || got.WireName != "ping" || got.TimeoutMillis != 1500 {
		t.Fatalf("Resolve(Ping) = %+v, %v; want wire name ping, 1500 ms", got, err)
	}
	if got, err := Resolve(methods.Get(1)); err != nil || got.WireName != "t.v1.S/Plain" {
		t.Fatalf("Resolve(Plain) = %+v, %v; want t.v1.S/Plain", got, err)
	}
}
