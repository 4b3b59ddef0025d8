package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// The raw data-channel baseline of row 2: the payload's bytes cut as a
// stream's chunks are (15000 bytes of content per DataPacket.stream_chunk),
// published with the participant link's own sender (rtc.Link.Send, the
// same flow control the engine gets) from A to B; B publishes the packets
// it received back to A as soon as the last one is in; the time is from
// A's first Send to A receiving the last byte back. No header, no trailer,
// no ack, no reassembly, no compression, no RPC.
const rawChunkBytes = 15000

// rawEnd is one end of the baseline. It implements link.Receiver.
type rawEnd struct {
	l     *rtc.Link
	other string // identity of the other end
	want  int    // content bytes of one message
	echo  bool   // B: send every message back; A: report it on done

	got  int                   // bytes of the message so far (receive goroutine only)
	held []*livekit.DataPacket // B: the message's packets, to send back
	done chan struct{}
	errs chan error
}

func newRawEnd(l *rtc.Link, other string, want int, echo bool) *rawEnd {
	r := &rawEnd{l: l, other: other, want: want, echo: echo, done: make(chan struct{}, 1), errs: make(chan error, 1)}
	l.Attach(r)
	return r
}

func (r *rawEnd) ReceivePacket(pkt *livekit.DataPacket) {
	chunk := pkt.GetStreamChunk()
	if chunk == nil {
		return
	}
	r.got += len(chunk.Content)
	if r.echo {
		r.held = append(r.held, pkt)
	}
	if r.got < r.want {
		return
	}
	r.got = 0
	if !r.echo {
		r.done <- struct{}{}
		return
	}
	back := r.held
	r.held = nil
	go func() { // a receiver must not block on sends
		if err := r.sendChunks(context.Background(), back); err != nil {
			select {
			case r.errs <- err:
			default:
			}
		}
	}()
}

func (r *rawEnd) ParticipantChanged(link.Event) {}
func (r *rawEnd) Disconnected(error)            {}

// sendChunks publishes the chunks' content to the other end, in order.
func (r *rawEnd) sendChunks(ctx context.Context, chunks []*livekit.DataPacket) error {
	for _, c := range chunks {
		pkt := &livekit.DataPacket{
			DestinationIdentities: []string{r.other},
			Value:                 &livekit.DataPacket_StreamChunk{StreamChunk: c.GetStreamChunk()},
		}
		if err := r.l.Send(ctx, pkt); err != nil {
			return err
		}
	}
	return nil
}

// chunksOf cuts payload into stream-chunk packets for the baseline.
func chunksOf(payload string) []*livekit.DataPacket {
	var out []*livekit.DataPacket
	for i := 0; i < len(payload); i += rawChunkBytes {
		end := min(i+rawChunkBytes, len(payload))
		out = append(out, &livekit.DataPacket{Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{
			StreamId: "raw-baseline", ChunkIndex: uint64(len(out)), Content: []byte(payload[i:end]),
		}}})
	}
	return out
}

// roundTrip sends chunks A→B and waits for B's copy to come back.
func (r *rawEnd) roundTrip(ctx context.Context, echoer *rawEnd, chunks []*livekit.DataPacket) error {
	if err := r.sendChunks(ctx, chunks); err != nil {
		return err
	}
	select {
	case <-r.done:
		return nil
	case err := <-echoer.errs:
		return fmt.Errorf("echo: %w", err)
	case <-ctx.Done():
		return fmt.Errorf("raw round trip: %w", ctx.Err())
	}
}

// recorder is a transport that remembers how the last call travelled, so
// a typed client's transfers can be reported.
type recorder struct {
	transport.Transport
	last atomic.Pointer[transport.Reply]
}

func (r *recorder) Call(ctx context.Context, c transport.Call) (transport.Reply, error) {
	rep, err := r.Transport.Call(ctx, c)
	r.last.Store(&rep)
	return rep, err
}

// lastTransfers describes the last call's request and response.
func (r *recorder) lastTransfers() string {
	rep := r.last.Load()
	if rep == nil {
		return "no call"
	}
	return fmt.Sprintf("request %v, %d packets, %d wire bytes; response %v, %d packets, %d wire bytes",
		rep.Request, rep.Request.Packets, rep.Request.WireBytes, rep.Response, rep.Response.Packets, rep.Response.WireBytes)
}
