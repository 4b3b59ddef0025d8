package rtc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// Attribute updates: an UpdateParticipantMetadata signal request carrying
// only attributes and a request id, answered by the server with a
// RequestResponse of the same id.
//
// What livekit-server v1.13.5 does (pkg/rtc/participant.go UpdateMetadata,
// checked against the real server in the e2e tests): without the token
// grant canUpdateOwnMetadata it changes nothing and answers reason
// NOT_ALLOWED, message "does not have permission to update own metadata";
// attributes over its limit (64 KiB of keys and values by default) are
// LIMIT_EXCEEDED; otherwise it merges them (a key set to "" is deleted),
// tells the room with a ParticipantUpdate and answers OK. It answers OK
// only to clients of signal protocol > 14 (ours is server-sdk-go's, 17), and
// every refusal to all but old Rust clients.

var _ link.AttributeSetter = (*Link)(nil)

// requests matches RequestResponses to the requests waiting for them.
type requests struct {
	mu      sync.Mutex
	next    uint32
	waiting map[uint32]chan *livekit.RequestResponse
}

// add returns a fresh request id, never 0 (which the server treats as "no
// answer wanted" for some requests), and the channel its answer comes on.
func (r *requests) add() (uint32, chan *livekit.RequestResponse) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waiting == nil {
		r.waiting = map[uint32]chan *livekit.RequestResponse{}
	}
	r.next++
	if r.next == 0 {
		r.next++
	}
	ch := make(chan *livekit.RequestResponse, 1)
	r.waiting[r.next] = ch
	return r.next, ch
}

func (r *requests) remove(id uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.waiting, id)
}

// answer hands res to its request; an answer nobody waits for any more
// (its ctx ended) is dropped.
func (r *requests) answer(res *livekit.RequestResponse) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch := r.waiting[res.GetRequestId()]; ch != nil {
		delete(r.waiting, res.GetRequestId())
		ch <- res
	}
}

// SetAttributes merges attrs into the local participant's attributes (a
// key given "" is deleted) and waits for the server's answer. It implements
// link.AttributeSetter: a refusal wraps link.ErrAttributesRefused and, for a
// token without the grant, names canUpdateOwnMetadata. While the link
// rejoins the room it waits for the new session (within ctx); what it
// applied is applied again after every later rejoin.
func (l *Link) SetAttributes(ctx context.Context, attrs map[string]string) error {
	for {
		l.mu.Lock()
		s, changed := l.cur, l.changed
		l.mu.Unlock()
		if l.isEnded() {
			return fmt.Errorf("rtc: set attributes: %w: %w", link.ErrClosed, l.endErr)
		}
		if s != nil && s.ready.Load() {
			err := l.updateAttributes(ctx, s, attrs)
			if err != nil && (l.isEnded() || ctx.Err() != nil || !l.recoveringFrom(err)) {
				return err
			}
			if err != nil {
				// The session or its signal connection went while we
				// waited: try again once the link is back.
				select {
				case <-changed:
				case <-ctx.Done():
					return fmt.Errorf("rtc: set attributes: the link is reconnecting: %w", ctx.Err())
				}
				continue
			}
			l.mu.Lock()
			if l.setAttrs == nil {
				l.setAttrs = map[string]string{}
			}
			maps.Copy(l.setAttrs, attrs)
			l.mu.Unlock()
			l.mergeLocalAttributes(attrs)
			return nil
		}
		select {
		case <-changed: // the rejoin is done, or the link ended
		case <-ctx.Done():
			return fmt.Errorf("rtc: set attributes: the link is reconnecting: %w", ctx.Err())
		}
	}
}

// updateAttributes sends the update on s's signal connection and waits for
// the answer.
func (l *Link) updateAttributes(ctx context.Context, s *session, attrs map[string]string) error {
	id, answer := l.requests.add()
	defer l.requests.remove(id)
	msg := l.sig.SignalUpdateParticipantMetadata(&livekit.UpdateParticipantMetadata{
		Attributes: maps.Clone(attrs),
		RequestId:  id,
	})
	if err := s.sendSignal(msg); err != nil {
		return fmt.Errorf("rtc: set attributes: send the update: %w: %w", errSignalDown, err)
	}
	select {
	case res := <-answer:
		return refusal(res)
	case <-l.ended:
		return fmt.Errorf("rtc: set attributes: %w: %w", link.ErrClosed, l.endErr)
	case <-s.down:
		return fmt.Errorf("rtc: set attributes: %w: %w", link.ErrClosed, s.downErr)
	case <-ctx.Done():
		return fmt.Errorf("rtc: set attributes: no answer from the server: %w", ctx.Err())
	}
}

// errSignalDown: the update could not be sent on the signal connection.
var errSignalDown = errors.New("signal connection down")

// recoveringFrom reports whether err is a session or signal connection
// lost to a recovery under way, so that the update is worth sending again
// once the link is back.
func (l *Link) recoveringFrom(err error) bool {
	if errors.Is(err, ErrReconnecting) {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Is(err, errSignalDown) && l.recovering
}

// refusal is the error a RequestResponse stands for, nil for OK.
func refusal(res *livekit.RequestResponse) error {
	switch res.GetReason() {
	case livekit.RequestResponse_OK:
		return nil
	case livekit.RequestResponse_NOT_ALLOWED:
		return fmt.Errorf("rtc: set attributes: %w: the token lacks the grant canUpdateOwnMetadata (server: %s %q)",
			link.ErrAttributesRefused, res.GetReason(), res.GetMessage())
	default:
		return fmt.Errorf("rtc: set attributes: %w (server: %s %q)", link.ErrAttributesRefused, res.GetReason(), res.GetMessage())
	}
}

// mergeLocalAttributes applies an accepted update to what Local reports.
func (l *Link) mergeLocalAttributes(attrs map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.local.Attributes = link.MergeAttributes(l.local.Attributes, attrs)
}

// answeringHandler is server-sdk-go's signal handler, which drops
// RequestResponses, with those handed to the link's waiting requests.
type answeringHandler struct {
	signalling.SignalHandler
	requests *requests
}

func (h answeringHandler) HandleMessage(msg proto.Message) error {
	if res, ok := msg.(*livekit.SignalResponse); ok {
		if rr := res.GetRequestResponse(); rr != nil {
			h.requests.answer(rr)
			return nil
		}
	}
	return h.SignalHandler.HandleMessage(msg)
}
