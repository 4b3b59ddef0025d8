package wirevectors_test

import (
	"slices"
	"testing"

	"github.com/lkrpc/lkrpc/internal/wirevectors"
)

// Every vector decodes, and each is the packet its description names, sent
// to the participant it names.
func TestVectorsDecode(t *testing.T) {
	pkts, err := wirevectors.Packets()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"v1_request":          wirevectors.Handler,
		"ack":                 wirevectors.Caller,
		"v1_success_response": wirevectors.Caller,
		"error_response":      wirevectors.Caller,
		"v2_request_header":   wirevectors.Handler,
		"v2_request_chunk0":   wirevectors.Handler,
		"v2_request_trailer":  wirevectors.Handler,
		"v2_response_header":  wirevectors.Caller,
	}
	names, err := wirevectors.Names()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(want) {
		t.Fatalf("vectors %v, want the %d of %v", names, len(want), want)
	}
	for name, dest := range want {
		pkt, ok := pkts[name]
		if !ok {
			t.Fatalf("no vector %q", name)
		}
		if !slices.Equal(pkt.DestinationIdentities, []string{dest}) {
			t.Errorf("%s: destination %v, want [%s]", name, pkt.DestinationIdentities, dest)
		}
	}
	if got := pkts["v1_request"].GetRpcRequest(); got.GetId() != wirevectors.RequestID || got.GetMethod() != wirevectors.Method {
		t.Errorf("v1_request = %v", got)
	}
	if got := pkts["v2_request_header"].GetStreamHeader(); got.GetStreamId() != wirevectors.StreamID || got.GetTimestamp() != wirevectors.Timestamp {
		t.Errorf("v2_request_header = %v", got)
	}
	if _, err := wirevectors.Packet("no such vector"); err == nil {
		t.Error("Packet of an unknown name did not fail")
	}
}
