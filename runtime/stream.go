package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/codec"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// ServerStreamForClient is the caller's end of a server-streaming call
// (rpc M(Req) returns (stream Resp)). Call Receive until it returns false,
// then Err: nil when the handler ended the stream successfully.
//
//	stream, err := client.Answer(ctx, req)
//	if err != nil { … }
//	defer stream.Close()
//	for stream.Receive() {
//		fmt.Print(stream.Msg().GetText())
//	}
//	if err := stream.Err(); err != nil { … }
//
// Close stops the call early; the handler's context is cancelled. A
// ServerStreamForClient is for one goroutine, except Close, which may be
// called from any.
type ServerStreamForClient[Resp any] struct {
	replies transport.ReplyStream
	method  *Method
	ctx     context.Context

	msg *Resp
	err error

	closeOnce sync.Once
}

// Receive waits for the next message and reports whether there is one; it
// returns false at the end of the stream and after any failure.
func (s *ServerStreamForClient[Resp]) Receive() bool {
	if s.err != nil {
		return false
	}
	payload, err := s.replies.Recv()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.err = callError(s.ctx, err)
		} else {
			s.err = io.EOF
		}
		return false
	}
	if limit := s.method.MaxResponseBytes; limit > 0 && len(payload) > limit {
		s.fail(tooLarge(ResponsePayloadTooLarge, len(payload), limit, s.method.Name))
		return false
	}
	msg := new(Resp)
	if _, err := codec.Unmarshal(payload, any(msg).(proto.Message)); err != nil {
		s.fail(rpcerr.Newf(MalformedResponse, "message of %s does not decode: %v", s.method.Name, err))
		return false
	}
	s.msg = msg
	return true
}

// fail ends the stream on the caller's side with err.
func (s *ServerStreamForClient[Resp]) fail(err error) {
	s.err = err
	_ = s.Close()
}

// Msg is the message the last successful Receive got.
func (s *ServerStreamForClient[Resp]) Msg() *Resp { return s.msg }

// Err is why the stream ended: nil when the handler ended it successfully
// (or it has not ended yet), else an *Error (the handler's, or a failure
// such as 1502 when no message came in time) or the context's error.
func (s *ServerStreamForClient[Resp]) Err() error {
	if errors.Is(s.err, io.EOF) {
		return nil
	}
	return s.err
}

// Close ends the call: when it is still running, the handler is told to
// stop. Safe to call more than once and from any goroutine.
func (s *ServerStreamForClient[Resp]) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.replies.Close() })
	return err
}

// CallServerStream sends req to the server-streaming method m through c
// and returns the stream of replies. Each generated method of a streaming
// RPC is one call to it:
//
//	return lkrpc.CallServerStream[AnswerChunk](ctx, c.client, voiceAgentAnswerSpec, req, opts...)
//
// The codec and the timeout (the wait for the first message, and between
// messages unless WithIdleTimeout says otherwise) resolve as for unary
// calls; client interceptors do not apply to streams. The transport must
// stream (lkrpc.Connect's and ConnectMemory's Conns do).
func CallServerStream[Resp any, PResp interface {
	*Resp
	proto.Message
}](ctx context.Context, c *Client, m *Method, req proto.Message, opts ...CallOption) (*ServerStreamForClient[Resp], error) {
	if c == nil || c.transport == nil {
		return nil, errors.New("lkrpc: client has no transport")
	}
	if m == nil || m.Name == "" {
		return nil, errors.New("lkrpc: call without a method name")
	}
	st, ok := c.transport.(transport.Streamer)
	if !ok {
		return nil, fmt.Errorf("lkrpc: %s streams its replies, which a %T cannot carry: join the room with lkrpc.Connect", m.Name, c.transport)
	}
	cfg := c.config(opts)
	cdc, err := firstCodec(cfg.codec, m.Codec).codec()
	if err != nil {
		return nil, err
	}
	if err := rpcerr.FromContext(ctx); err != nil {
		return nil, err
	}
	payload, err := cdc.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("lkrpc: %s: request: %w", m.Name, err)
	}
	if limit := m.MaxRequestBytes; limit > 0 && len(payload) > limit {
		return nil, tooLarge(RequestPayloadTooLarge, len(payload), limit, m.Name)
	}
	replies, err := st.CallStream(ctx, transport.StreamCall{
		Destination:     c.destination,
		Method:          m.Name,
		Service:         m.Service,
		Payload:         payload,
		FirstTimeout:    firstDuration(cfg.timeout, m.Timeout),
		Idle:            cfg.idle,
		Window:          cfg.window,
		MaxMessageBytes: m.MaxResponseBytes,
		MaxStreamBytes:  cfg.maxStreamBytes,
	})
	if err != nil {
		return nil, callError(ctx, err)
	}
	return &ServerStreamForClient[Resp]{replies: replies, method: m, ctx: ctx}, nil
}
