package rtc

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"github.com/pion/webrtc/v4"
	"google.golang.org/protobuf/proto"
)

// decodeJoinRequest reads the JoinRequest out of a signalling query string.
func decodeJoinRequest(t *testing.T, query string) *livekit.JoinRequest {
	t.Helper()
	values, err := url.ParseQuery(strings.TrimPrefix(query, "&"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.URLEncoding.DecodeString(values.Get("join_request"))
	if err != nil {
		t.Fatal(err)
	}
	var wrapped livekit.WrappedJoinRequest
	if err := proto.Unmarshal(raw, &wrapped); err != nil {
		t.Fatal(err)
	}
	inner := wrapped.GetJoinRequest()
	if wrapped.GetCompression() == livekit.WrappedJoinRequest_GZIP {
		if inner, err = gunzip(inner); err != nil {
			t.Fatal(err)
		}
	}
	var req livekit.JoinRequest
	if err := proto.Unmarshal(inner, &req); err != nil {
		t.Fatal(err)
	}
	return &req
}

func TestAdvertisingSignallingSetsProtocolAndCapabilities(t *testing.T) {
	inner := signalling.NewSignallingJoinRequest(signalling.SignallingJoinRequestParams{Logger: logger.GetDiscardLogger()})
	caps := []livekit.ClientInfo_Capability{livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW}
	sig := newAdvertisingSignalling(inner, 2, caps)
	params := &signalling.ConnectParams{Metadata: "md", Attributes: map[string]string{"k": "v"}}
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: "v=0\r\n"}

	plain, err := inner.ConnectQueryParams("2.18.1", 17, params, nil, offer, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := sig.ConnectQueryParams("2.18.1", 17, params, nil, offer, "")
	if err != nil {
		t.Fatal(err)
	}
	before, after := decodeJoinRequest(t, plain), decodeJoinRequest(t, got)
	if before.GetClientInfo().GetClientProtocol() != 0 {
		t.Fatalf("stock signalling already advertises %d; this wrapper would be moot", before.GetClientInfo().GetClientProtocol())
	}
	ci := after.GetClientInfo()
	if ci.GetClientProtocol() != 2 || len(ci.GetCapabilities()) != 1 || ci.GetCapabilities()[0] != caps[0] {
		t.Fatalf("advertised %d %v, want 2 [deflate]", ci.GetClientProtocol(), ci.GetCapabilities())
	}
	// Everything else is untouched.
	after.ClientInfo.ClientProtocol, after.ClientInfo.Capabilities = 0, nil
	if !proto.Equal(before, after) {
		t.Fatalf("rewrite changed more than the advertisement:\n%v\n%v", before, after)
	}
}

func TestRewriteJoinRequestQueryRejectsBadInput(t *testing.T) {
	noop := func(*livekit.JoinRequest) {}
	for name, q := range map[string]string{
		"missing":    "&foo=bar",
		"not base64": "&join_request=***",
		"not proto":  "&join_request=" + base64.URLEncoding.EncodeToString([]byte{0xff, 0xff, 0xff}),
		"bad gzip": "&join_request=" + base64.URLEncoding.EncodeToString(func() []byte {
			b, _ := proto.Marshal(&livekit.WrappedJoinRequest{Compression: livekit.WrappedJoinRequest_GZIP, JoinRequest: []byte("nope")})
			return b
		}()),
	} {
		if _, err := rewriteJoinRequestQuery(q, noop); err == nil {
			t.Errorf("%s: rewrite of %q succeeded", name, q)
		}
	}
}

func TestRewriteKeepsOtherParameters(t *testing.T) {
	raw, _ := proto.Marshal(&livekit.WrappedJoinRequest{JoinRequest: func() []byte {
		b, _ := proto.Marshal(&livekit.JoinRequest{Metadata: "m"})
		return b
	}()})
	q := "a=1&join_request=" + base64.URLEncoding.EncodeToString(raw) + "&b=2"
	got, err := rewriteJoinRequestQuery(q, func(r *livekit.JoinRequest) { r.Metadata = "changed" })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "a=1&join_request=") || !strings.HasSuffix(got, "&b=2") {
		t.Fatalf("rewrite lost the other parameters: %q", got)
	}
	if md := decodeJoinRequest(t, got).GetMetadata(); md != "changed" {
		t.Fatalf("metadata %q, want changed (uncompressed requests stay uncompressed)", md)
	}
}
