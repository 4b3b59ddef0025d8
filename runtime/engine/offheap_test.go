package engine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/internal/offheap"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
)

// A large open request stream waits in memory mapped off the Go heap
// (internal/offheap); when it cannot finish because its caller left, the
// engine closed or its link was lost, that memory is unmapped then.
func TestOpenStreamMemoryReleasedWhenItCannotFinish(t *testing.T) {
	if !offheap.Supported {
		t.Skip("no memory mappings on this platform")
	}
	for _, c := range []struct {
		name string
		end  func(l *fakeLink, e *engine.Engine)
	}{
		{"caller leaves", func(l *fakeLink, _ *engine.Engine) { l.leave("alice") }},
		{"engine closes", func(_ *fakeLink, e *engine.Engine) { e.Close() }},
		{"link lost", func(l *fakeLink, _ *engine.Engine) { l.disconnect(errors.New("lost")) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkGoroutines(t)
			base := offheap.SettledMappings()
			l, e := newServer(t, link.ProtocolStreamsV2)
			register(t, e, "echo", echo)
			// 200 KiB in 14 chunks, past the 64 KiB a stream keeps on the
			// heap; the last chunk and the trailer never come.
			pkts := requestStream(t, "s1", requestStreamAttrs("r1", "echo", 60000, "2"), strings.Repeat("x", 200<<10),
				datastream.SendOptions{})
			for _, p := range pkts[:len(pkts)-2] {
				l.deliver(p)
			}
			wantAck(t, l.next(t), "alice", "r1")
			waitMappings(t, base+1, "the stream is open")
			c.end(l, e)
			waitMappings(t, base, "the stream cannot finish")
		})
	}
}

// waitMappings waits up to a second for want live mappings.
func waitMappings(t *testing.T, want int, when string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for offheap.Mappings() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d live mappings after 1s, want %d", when, offheap.Mappings(), want)
		}
		time.Sleep(time.Millisecond)
	}
}
