package roomservice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/utils/xtwirp"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"github.com/twitchtv/twirp"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// MaxPayloadBytes is the RPC v1 limit on a request payload (UTF-8 bytes),
// which the server enforces too.
const MaxPayloadBytes = transport.MaxPacketPayload

// DefaultTimeout is the response timeout when neither Call.Timeout nor the
// context's deadline sets one (that of the SDKs).
const DefaultTimeout = 15 * time.Second

// answerSlack is how much longer than the response timeout the HTTP request
// may take: the server's own timers (2 s ack, the response timeout) answer
// first; past this the server is not answering at all.
const answerSlack = 5 * time.Second

// tokenValidity is how long each call's token is valid.
const tokenValidity = 10 * time.Minute

// connectHint ends every error about something a backend cannot do
// without joining the room.
const connectHint = "the room service speaks RPC v1 only and cannot serve methods; " +
	"join the room with lkrpc.Connect (runtime/link/rtc) for RPC v2 streams and handlers"

// Transport calls participants of one room through RoomService.PerformRpc.
// It is safe for concurrent use.
type Transport struct {
	room      string
	apiKey    string
	apiSecret string
	timeout   time.Duration
	log       *slog.Logger
	client    livekit.RoomService
}

var _ transport.Transport = (*Transport)(nil)

// Option configures New.
type Option func(*config) error

type config struct {
	httpClient *http.Client
	log        *slog.Logger
	timeout    time.Duration
}

// WithLogger logs to l instead of slog.Default(): each failed call's raw
// server answer at debug level.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("roomservice: WithLogger: nil *slog.Logger")
		}
		c.log = l
		return nil
	}
}

// WithHTTPClient sends the requests with hc instead of a client of its own
// (e.g. for a proxy or custom TLS). Its Timeout, if any, also bounds calls.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("roomservice: WithHTTPClient: nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithDefaultTimeout sets the response timeout of calls that set none
// themselves and have no context deadline (DefaultTimeout otherwise).
func WithDefaultTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("roomservice: WithDefaultTimeout: %v is not a positive duration", d)
		}
		c.timeout = d
		return nil
	}
}

// New returns a transport calling participants of room on the LiveKit
// server at serverURL (ws://, wss://, http:// or https://, as the SDKs
// accept it) with the given API key and secret.
func New(serverURL, apiKey, apiSecret, room string, opts ...Option) (*Transport, error) {
	u, err := url.Parse(serverURL)
	switch {
	case err != nil:
		return nil, fmt.Errorf("roomservice: server URL %q: %w", serverURL, err)
	case u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("roomservice: server URL %q: scheme must be ws, wss, http or https", serverURL)
	case u.Host == "":
		return nil, fmt.Errorf("roomservice: server URL %q has no host", serverURL)
	case apiKey == "":
		return nil, errors.New("roomservice: empty API key")
	case apiSecret == "":
		return nil, errors.New("roomservice: empty API secret")
	case room == "":
		return nil, errors.New("roomservice: empty room name")
	}
	cfg := config{log: slog.Default(), timeout: DefaultTimeout}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("roomservice: option %d is nil", i)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.httpClient == nil {
		cfg.httpClient = &http.Client{}
	}
	return &Transport{
		room:      room,
		apiKey:    apiKey,
		apiSecret: apiSecret,
		timeout:   cfg.timeout,
		log:       cfg.log,
		// ClientPassTimout tells the server when the caller stops waiting
		// (X-Twirp-Timeout-Ms), so that it stops its internal retries then.
		client: livekit.NewRoomServiceProtobufClient(signalling.ToHttpURL(strings.TrimSuffix(serverURL, "/")), cfg.httpClient,
			xtwirp.ClientPassTimout()),
	}, nil
}

// Room returns the room the transport calls into.
func (t *Transport) Room() string { return t.room }

// Register fails: serving a method needs a participant in the room.
func (t *Transport) Register(method string, _ transport.Handler) (func(), error) {
	return nil, fmt.Errorf("roomservice: cannot serve %q: a backend that has not joined the room cannot receive calls; "+
		"join it with lkrpc.Connect to register handlers", method)
}

// Call performs one RPC through RoomService.PerformRpc.
func (t *Transport) Call(ctx context.Context, call transport.Call) (transport.Reply, error) {
	if err := transport.CheckPacketCall(call, "roomservice", connectHint); err != nil {
		return transport.Reply{}, err
	}
	timeout, err := transport.ResponseTimeout(ctx, call.Timeout, t.timeout)
	if err != nil {
		return transport.Reply{}, err
	}
	if err := rpcerr.FromContext(ctx); err != nil {
		return transport.Reply{}, err
	}
	token, err := auth.NewAccessToken(t.apiKey, t.apiSecret).
		SetVideoGrant(&auth.VideoGrant{RoomAdmin: true, Room: t.room}).
		SetValidFor(tokenValidity).
		ToJWT()
	if err != nil {
		return transport.Reply{}, rpcerr.Newf(rpcerr.SendFailed, "roomservice: signing the access token: %v", err)
	}
	hctx, cancel := context.WithTimeout(ctx, timeout+answerSlack)
	defer cancel()
	hctx, err = twirp.WithHTTPRequestHeaders(hctx, signalling.NewHTTPHeaderWithToken(token))
	if err != nil {
		return transport.Reply{}, rpcerr.Newf(rpcerr.SendFailed, "roomservice: %v", err)
	}
	resp, err := t.client.PerformRpc(hctx, &livekit.PerformRpcRequest{
		Room:                t.room,
		DestinationIdentity: call.Destination,
		Method:              call.Method,
		Payload:             call.Payload,
		ResponseTimeoutMs:   transport.TimeoutMillis(timeout),
	})
	if err != nil {
		if cerr := rpcerr.FromContext(ctx); cerr != nil {
			return transport.Reply{}, cerr
		}
		if hctx.Err() != nil {
			return transport.Reply{}, rpcerr.BuiltinData(rpcerr.ResponseTimeout,
				fmt.Sprintf("roomservice: the server did not answer within the response timeout (%v) and %v more", timeout, answerSlack))
		}
		t.log.Debug("lkrpc: room service call failed", "room", t.room, "destination", call.Destination,
			"method", call.Method, "error", err)
		err = fromServerError(err, t.room, call.Destination)
		switch rpcerr.Code(err) {
		case 0, rpcerr.RecipientNotFound, rpcerr.RequestPayloadTooLarge:
			return transport.Reply{}, err // not relayed to the participant
		}
		return transport.Reply{Request: transport.PacketTransfer(call.Payload)}, err
	}
	return transport.Reply{
		Payload:  resp.GetPayload(),
		Request:  transport.PacketTransfer(call.Payload),
		Response: transport.PacketTransfer(resp.GetPayload()),
	}, nil
}
