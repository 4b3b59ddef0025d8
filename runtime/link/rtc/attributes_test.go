package rtc

import (
	"errors"
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// recordingHandler stands in for server-sdk-go's signal handler.
type recordingHandler struct{ got []proto.Message }

func (h *recordingHandler) HandleMessage(msg proto.Message) error {
	h.got = append(h.got, msg)
	return nil
}

func (h *recordingHandler) SetLogger(logger.Logger) {}

// The answering handler takes RequestResponses to their waiting request and
// passes everything else on; an answer nobody waits for is dropped.
func TestAnsweringHandlerRoutesRequestResponses(t *testing.T) {
	var reqs requests
	id, answer := reqs.add()
	inner := &recordingHandler{}
	h := answeringHandler{SignalHandler: inner, requests: &reqs}

	update := &livekit.SignalResponse{Message: &livekit.SignalResponse_Update{Update: &livekit.ParticipantUpdate{}}}
	answerFor := func(id uint32) *livekit.SignalResponse {
		return &livekit.SignalResponse{Message: &livekit.SignalResponse_RequestResponse{
			RequestResponse: &livekit.RequestResponse{RequestId: id, Reason: livekit.RequestResponse_NOT_ALLOWED},
		}}
	}
	for _, msg := range []proto.Message{update, answerFor(id + 1), answerFor(id)} {
		if err := h.HandleMessage(msg); err != nil {
			t.Fatal(err)
		}
	}
	if len(inner.got) != 1 || inner.got[0] != update {
		t.Fatalf("passed on %v, want only the ParticipantUpdate", inner.got)
	}
	select {
	case res := <-answer:
		if res.GetRequestId() != id {
			t.Fatalf("answer for request %d delivered to %d", res.GetRequestId(), id)
		}
	default:
		t.Fatal("the answer did not reach its request")
	}
	if next, _ := reqs.add(); next == id || next == 0 {
		t.Fatalf("request id %d reused or zero", next)
	}
}

func TestRefusalNamesTheGrant(t *testing.T) {
	if err := refusal(&livekit.RequestResponse{Reason: livekit.RequestResponse_OK}); err != nil {
		t.Fatalf("OK is a refusal: %v", err)
	}
	err := refusal(&livekit.RequestResponse{
		Reason: livekit.RequestResponse_NOT_ALLOWED, Message: "does not have permission to update own metadata",
	})
	if !errors.Is(err, link.ErrAttributesRefused) || !strings.Contains(err.Error(), "canUpdateOwnMetadata") {
		t.Fatalf("NOT_ALLOWED = %v, want ErrAttributesRefused naming canUpdateOwnMetadata", err)
	}
	err = refusal(&livekit.RequestResponse{Reason: livekit.RequestResponse_LIMIT_EXCEEDED, Message: "exceeds attributes size limit"})
	if !errors.Is(err, link.ErrAttributesRefused) || !strings.Contains(err.Error(), "exceeds attributes size limit") {
		t.Fatalf("LIMIT_EXCEEDED = %v, want ErrAttributesRefused with the server's message", err)
	}
}
