package rtc

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"github.com/pion/webrtc/v4"
	"google.golang.org/protobuf/proto"
)

// maxJoinRequestBytes bounds the decompressed JoinRequest we re-encode. Ours
// is a few KiB (mostly the SDP offer); the bound only keeps a corrupted
// value from inflating without limit.
const maxJoinRequestBytes = 1 << 20

// advertisingSignalling is server-sdk-go's single-peer-connection signalling
// with one change: the JoinRequest it builds also carries the client
// protocol and capabilities we advertise (ClientInfo fields 12 and 13),
// which stock server-sdk-go never sets. livekit-server copies them into our
// ParticipantInfo, and that is how other participants learn we speak RPC v2.
type advertisingSignalling struct {
	signalling.Signalling
	clientProtocol int32
	capabilities   []livekit.ClientInfo_Capability
}

func newAdvertisingSignalling(inner signalling.Signalling, clientProtocol int32, caps []livekit.ClientInfo_Capability) *advertisingSignalling {
	return &advertisingSignalling{Signalling: inner, clientProtocol: clientProtocol, capabilities: caps}
}

// ConnectQueryParams builds the inner query ("&join_request=<base64url of a
// WrappedJoinRequest>") and rewrites the JoinRequest's ClientInfo.
func (s *advertisingSignalling) ConnectQueryParams(
	version string,
	protocol int,
	connectParams *signalling.ConnectParams,
	addTrackRequests []*livekit.AddTrackRequest,
	publisherOffer webrtc.SessionDescription,
	participantSID string,
) (string, error) {
	query, err := s.Signalling.ConnectQueryParams(version, protocol, connectParams, addTrackRequests, publisherOffer, participantSID)
	if err != nil {
		return "", err
	}
	return rewriteJoinRequestQuery(query, func(req *livekit.JoinRequest) {
		if req.ClientInfo == nil {
			req.ClientInfo = &livekit.ClientInfo{}
		}
		req.ClientInfo.ClientProtocol = s.clientProtocol
		req.ClientInfo.Capabilities = s.capabilities
	})
}

// rewriteJoinRequestQuery applies edit to the JoinRequest inside the
// join_request parameter of query and re-encodes it the same way.
func rewriteJoinRequestQuery(query string, edit func(*livekit.JoinRequest)) (string, error) {
	const key = "join_request="
	start := strings.Index(query, key)
	if start < 0 {
		return "", fmt.Errorf("rtc: signalling query has no join_request parameter")
	}
	start += len(key)
	end := strings.IndexByte(query[start:], '&')
	if end < 0 {
		end = len(query)
	} else {
		end += start
	}
	value, err := url.QueryUnescape(query[start:end])
	if err != nil {
		return "", fmt.Errorf("rtc: join_request parameter: %w", err)
	}
	rewritten, err := rewriteWrappedJoinRequest(value, edit)
	if err != nil {
		return "", err
	}
	return query[:start] + rewritten + query[end:], nil
}

func rewriteWrappedJoinRequest(encoded string, edit func(*livekit.JoinRequest)) (string, error) {
	raw, err := base64.URLEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("rtc: join_request is not base64url: %w", err)
	}
	var wrapped livekit.WrappedJoinRequest
	if err := proto.Unmarshal(raw, &wrapped); err != nil {
		return "", fmt.Errorf("rtc: decode WrappedJoinRequest: %w", err)
	}
	inner := wrapped.GetJoinRequest()
	gzipped := wrapped.GetCompression() == livekit.WrappedJoinRequest_GZIP
	if gzipped {
		if inner, err = gunzip(inner); err != nil {
			return "", fmt.Errorf("rtc: decompress JoinRequest: %w", err)
		}
	}
	var req livekit.JoinRequest
	if err := proto.Unmarshal(inner, &req); err != nil {
		return "", fmt.Errorf("rtc: decode JoinRequest: %w", err)
	}
	edit(&req)
	if inner, err = proto.Marshal(&req); err != nil {
		return "", fmt.Errorf("rtc: encode JoinRequest: %w", err)
	}
	if gzipped {
		if inner, err = gzipBytes(inner); err != nil {
			return "", fmt.Errorf("rtc: compress JoinRequest: %w", err)
		}
	}
	wrapped.JoinRequest = inner
	if raw, err = proto.Marshal(&wrapped); err != nil {
		return "", fmt.Errorf("rtc: encode WrappedJoinRequest: %w", err)
	}
	return base64.URLEncoding.EncodeToString(raw), nil
}

func gunzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(r, maxJoinRequestBytes+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxJoinRequestBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxJoinRequestBytes)
	}
	return out, nil
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
