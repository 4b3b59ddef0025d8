package runtime

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/codec"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// ServerStream is the handler's end of a server-streaming call: Send each
// reply message in turn, then return from the handler (nil ends the stream
// with success, an error as a unary handler's error).
type ServerStream[Resp any] struct {
	send func(proto.Message) error
}

// Send sends one reply message. It blocks while the caller has not read
// enough of the earlier ones (backpressure), and fails once the call has
// ended: the caller cancelled, timed out or left (the handler's context
// ends too). A message over the method's response size limit (without one,
// transport.DefaultStreamMessageMax) is not sent:
// Send returns a 1504 *Error, which the handler returns to end the call
// with it.
func (s *ServerStream[Resp]) Send(msg *Resp) error {
	return s.send(any(msg).(proto.Message))
}

// HandleServerStream describes the server-streaming method m served by fn,
// for Register. A generated registration lists one per streaming method:
//
//	lkrpc.HandleServerStream(voiceAgentAnswerSpec, h.Answer),
func HandleServerStream[Req any, PReq interface {
	*Req
	proto.Message
}, Resp any, PResp interface {
	*Resp
	proto.Message
}](m *Method, fn func(context.Context, PReq, *ServerStream[Resp]) error) HandlerDesc {
	return HandlerDesc{
		Method:     m,
		NewRequest: func() proto.Message { return PReq(new(Req)) },
		ServeStream: func(ctx context.Context, req proto.Message, send func(proto.Message) error) error {
			return fn(ctx, req.(PReq), &ServerStream[Resp]{send: send})
		},
	}
}

// sendFunc is the send of one streaming call: each message is encoded in
// the reply's codec and checked against the method's response limit.
func (s *server) sendFunc(replyCodec codec.Codec, send func(string) error) func(proto.Message) error {
	m := s.desc.Method
	return func(msg proto.Message) error {
		payload, err := replyCodec.Marshal(msg)
		if err != nil {
			return fmt.Errorf("lkrpc: %s: message does not encode: %w", m.Name, err)
		}
		// The caller refuses what is over the same limit (PROTOCOL.md §8.4).
		limit := m.MaxResponseBytes
		if limit <= 0 {
			limit = transport.DefaultStreamMessageMax
		}
		if len(payload) > limit {
			return tooLarge(ResponsePayloadTooLarge, len(payload), limit, m.Name)
		}
		return send(payload)
	}
}
