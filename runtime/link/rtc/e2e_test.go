package rtc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

const announceWithin = lkserver.AnnounceWithin

func TestE2EJoinSeesStockRoomAndItsProtocol(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel() // own room each; only waiting for announcements takes time
	room := lkserver.RoomName(t)
	l := srv.ConnectLink(t, room, "go-link")
	local := l.Local()
	if local.Identity != "go-link" || local.SID == "" {
		t.Fatalf("Local() = %+v, want identity go-link and a SID", local)
	}
	if local.ClientProtocol != link.ProtocolStreamsV2 || !local.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW) {
		t.Fatalf("Local() advertises %d %v, want 2 with deflate", local.ClientProtocol, local.Capabilities)
	}

	srv.StockRoom(t, room, "stock-go", nil)
	p := lkserver.WaitParticipant(t, l, "stock-go")
	if p.ClientProtocol != link.ProtocolV1 || len(p.Capabilities) != 0 {
		t.Fatalf("stock server-sdk-go seen as protocol %d caps %v, want 0 and none", p.ClientProtocol, p.Capabilities)
	}
	if p.SID == "" || p.Kind != livekit.ParticipantInfo_STANDARD {
		t.Fatalf("stock participant = %+v, want a SID and kind STANDARD", p)
	}
}

// The server copies what we advertise into our ParticipantInfo: a second
// link sees it, for each setting.
func TestE2EAdvertisedProtocolReachesOtherParticipants(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel() // own room each; only waiting for announcements takes time
	cases := []struct {
		name     string
		opts     []rtc.Option
		protocol int32
		caps     []livekit.ClientInfo_Capability
	}{
		{"default", nil, 2, []livekit.ClientInfo_Capability{livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW}},
		{"v2-without-deflate", []rtc.Option{rtc.WithCapabilities()}, 2, nil},
		{"v1-streams", []rtc.Option{rtc.WithClientProtocol(1)}, 1, nil},
		{"legacy", []rtc.Option{rtc.WithClientProtocol(0)}, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			room := lkserver.RoomName(t)
			observer := srv.ConnectLink(t, room, "observer")
			srv.ConnectLink(t, room, "subject", tc.opts...)
			p := lkserver.WaitParticipant(t, observer, "subject")
			if p.ClientProtocol != tc.protocol || !slices.Equal(p.Capabilities, tc.caps) {
				t.Fatalf("subject seen with protocol %d caps %v, want %d %v", p.ClientProtocol, p.Capabilities, tc.protocol, tc.caps)
			}
		})
	}
}

func TestE2ERawPacketsBothWaysWithStockRoom(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel() // own room each; only waiting for announcements takes time
	room := lkserver.RoomName(t)
	l := srv.ConnectLink(t, room, "go-link")
	rec := newRecorder()
	l.Attach(rec)

	fromLink := make(chan []byte, 1)
	stock := srv.StockRoom(t, room, "stock-go", &lksdk.RoomCallback{
		ParticipantCallback: lksdk.ParticipantCallback{
			OnDataPacket: func(data lksdk.DataPacket, params lksdk.DataReceiveParams) {
				if u, ok := data.(*lksdk.UserDataPacket); ok && params.SenderIdentity == "go-link" {
					fromLink <- u.Payload
				}
			},
		},
	})
	rec.nextEvent(t, link.Joined, "stock-go", announceWithin)
	stock.WaitSees(t, "go-link")

	// link → stock
	want := []byte("hello from the participant link")
	err := l.Send(context.Background(), &livekit.DataPacket{
		DestinationIdentities: []string{"stock-go"},
		Value:                 &livekit.DataPacket_User{User: &livekit.UserPacket{Payload: want}},
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-fromLink:
		if !bytes.Equal(got, want) {
			t.Fatalf("stock got %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stock room got nothing")
	}

	// stock → link
	back := []byte("hello from a stock Room")
	if err := stock.LocalParticipant.PublishDataPacket(lksdk.UserData(back),
		lksdk.WithDataPublishDestination([]string{"go-link"})); err != nil {
		t.Fatal(err)
	}
	pkt := rec.nextPacket(t, 5*time.Second)
	if pkt.GetParticipantIdentity() != "stock-go" || !bytes.Equal(pkt.GetUser().GetPayload(), back) {
		t.Fatalf("link got %v, want a user packet %q from stock-go", pkt, back)
	}
	t.Logf("as received: sequence %d, participant_sid %q", pkt.GetSequence(), pkt.GetParticipantSid())
}

// A stock Room's PerformRpc reaches the link as an RpcRequest packet, and
// the link's RpcAck + RpcResponse complete the stock caller's call.
func TestE2EStockPerformRpcArrivesAsRequestPacket(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel() // own room each; only waiting for announcements takes time
	room := lkserver.RoomName(t)
	l := srv.ConnectLink(t, room, "go-link")
	rec := newRecorder()
	l.Attach(rec)
	stock := srv.StockRoom(t, room, "stock-go", nil)
	rec.nextEvent(t, link.Joined, "stock-go", announceWithin)
	stock.WaitSees(t, "go-link")

	type result struct {
		payload *string
		err     error
	}
	done := make(chan result, 1)
	go func() {
		p, err := stock.LocalParticipant.PerformRpc(lksdk.PerformRpcParams{
			DestinationIdentity: "go-link", Method: "greet", Payload: `{"name":"stock"}`,
		})
		done <- result{p, err}
	}()

	pkt := rec.nextPacket(t, 5*time.Second)
	req := pkt.GetRpcRequest()
	if req == nil || pkt.GetParticipantIdentity() != "stock-go" || req.GetMethod() != "greet" ||
		req.GetPayload() != `{"name":"stock"}` || req.GetVersion() != 1 {
		t.Fatalf("link got %v, want an RpcRequest v1 greet from stock-go", pkt)
	}
	ctx := context.Background()
	ack := &livekit.DataPacket{Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: req.GetId()}}}
	resp := &livekit.DataPacket{Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
		RequestId: req.GetId(), Value: &livekit.RpcResponse_Payload{Payload: `{"message":"hi stock"}`},
	}}}
	for _, pkt := range []*livekit.DataPacket{ack, resp} {
		pkt.DestinationIdentities = []string{"stock-go"}
		if err := l.Send(ctx, pkt); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case r := <-done:
		if r.err != nil || r.payload == nil || *r.payload != `{"message":"hi stock"}` {
			t.Fatalf("PerformRpc = %v, %v; want the link's payload", r.payload, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stock PerformRpc did not return")
	}
}

func TestE2EBadTokenIsExplained(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel() // own room each; only waiting for announcements takes time
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bad := srv.TokenWithSecret(t, "not-the-secret", "intruder", lkserver.RoomName(t))
	l, err := rtc.Connect(ctx, srv.URL, bad)
	var je *rtc.JoinError
	if !errors.As(err, &je) || je.StatusCode != 401 {
		if l != nil {
			_ = l.Close()
		}
		t.Fatalf("Connect with a bad token: %v (%T), want a *rtc.JoinError with status 401", err, err)
	}
	t.Logf("error: %v", err)
}

func TestE2ECloseLeavesCleanly(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel() // own room each; only waiting for announcements takes time
	room := lkserver.RoomName(t)
	watcher := srv.ConnectLink(t, room, "watcher")
	wrec := newRecorder()
	watcher.Attach(wrec)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	leaver, err := rtc.Connect(ctx, srv.URL, srv.Token(t, "leaver", room))
	if err != nil {
		t.Fatal(err)
	}
	lrec := newRecorder()
	leaver.Attach(lrec)
	wrec.nextEvent(t, link.Joined, "leaver", announceWithin)

	start := time.Now()
	if err := leaver.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("Close took %v", time.Since(start).Round(time.Microsecond))
	if err := lrec.waitDisconnected(t, 5*time.Second); err != nil {
		t.Fatalf("Disconnected(%v) after Close, want nil", err)
	}
	<-leaver.Done()
	if err := leaver.Send(ctx, &livekit.DataPacket{Value: &livekit.DataPacket_User{User: &livekit.UserPacket{}}}); !errors.Is(err, rtc.ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
	wrec.nextEvent(t, link.Left, "leaver", announceWithin)
	if _, ok := watcher.Participant("leaver"); ok {
		t.Fatal("watcher still lists the leaver")
	}
}

// When the server removes the participant, the link ends and says why.
func TestE2ERemovedByServerDisconnectsWithReason(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel() // own room each; only waiting for announcements takes time
	room := lkserver.RoomName(t)
	l := srv.ConnectLink(t, room, "victim")
	rec := newRecorder()
	l.Attach(rec)

	api := lksdk.NewRoomServiceClient(lkserver.HTTPURL, lkserver.APIKey, lkserver.APISecret)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := api.RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: room, Identity: "victim"}); err != nil {
		t.Fatal(err)
	}
	err := rec.waitDisconnected(t, 10*time.Second)
	if !errors.Is(err, rtc.ErrRemovedByServer) {
		t.Fatalf("Disconnected(%v), want ErrRemovedByServer", err)
	}
	if sendErr := l.Send(ctx, &livekit.DataPacket{Value: &livekit.DataPacket_User{User: &livekit.UserPacket{}}}); !errors.Is(sendErr, rtc.ErrRemovedByServer) {
		t.Fatalf("Send after removal = %v, want ErrRemovedByServer", sendErr)
	}
}

// One MiB as 70 stream chunks from one link to another: all arrive, in
// order, and the time it takes is logged (measured when the link was designed: 63–152 ms to a
// browser with a flow-controlled sender; 3–5 s draining to zero).
func TestE2ESendOneMiBBetweenLinks(t *testing.T) {
	srv := lkserver.Require(t) // not parallel: it measures
	room := lkserver.RoomName(t)
	a := srv.ConnectLink(t, room, "sender")
	b := srv.ConnectLink(t, room, "reader")
	rec := newRecorder()
	b.Attach(rec)
	lkserver.WaitParticipant(t, a, "reader")
	rec.nextEvent(t, link.Joined, "sender", announceWithin)

	const total, chunkSize = 1 << 20, 15000
	chunks := (total + chunkSize - 1) / chunkSize
	content := bytes.Repeat([]byte("0123456789abcdef"), total/16)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for round := range 3 {
		start := time.Now()
		streamID := fmt.Sprintf("stream-%d", round)
		for i := range chunks {
			end := min((i+1)*chunkSize, total)
			err := a.Send(ctx, &livekit.DataPacket{
				DestinationIdentities: []string{"reader"},
				Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{
					StreamId: streamID, ChunkIndex: uint64(i), Content: content[i*chunkSize : end],
				}},
			})
			if err != nil {
				t.Fatalf("send chunk %d: %v", i, err)
			}
		}
		sent := time.Since(start)
		var got int
		for i := range chunks {
			pkt := rec.nextPacket(t, 10*time.Second)
			c := pkt.GetStreamChunk()
			if c.GetStreamId() != streamID || c.GetChunkIndex() != uint64(i) {
				t.Fatalf("chunk %d arrived as %s #%d", i, c.GetStreamId(), c.GetChunkIndex())
			}
			got += len(c.GetContent())
			if round == 0 && i < 2 {
				t.Logf("chunk %d as received: sequence %d, participant_sid %q", i, pkt.GetSequence(), pkt.GetParticipantSid())
			}
		}
		if got != total {
			t.Fatalf("received %d bytes, want %d", got, total)
		}
		t.Logf("round %d: 1 MiB in %d chunks: sent in %v, received in %v", round, chunks,
			sent.Round(time.Microsecond), time.Since(start).Round(time.Microsecond))
	}
}

// Join time: the first join creates the room, the rest join an existing
// one (measured when the link was designed: 17–61 ms first, 8–24 ms into an existing room).
func TestE2EJoinTime(t *testing.T) {
	srv := lkserver.Require(t) // not parallel: it measures
	room := lkserver.RoomName(t)
	ctx := context.Background()
	var joins, closes []time.Duration
	for i := range 10 {
		start := time.Now()
		l, err := rtc.Connect(ctx, srv.URL, srv.Token(t, fmt.Sprintf("joiner-%d", i), room))
		if err != nil {
			t.Fatal(err)
		}
		joins = append(joins, time.Since(start))
		start = time.Now()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		closes = append(closes, time.Since(start))
		<-l.Done()
	}
	first, rest := joins[0], slices.Clone(joins[1:])
	slices.Sort(rest)
	slices.Sort(closes)
	t.Logf("join: first %v; into an existing room median %v (min %v, max %v); close median %v",
		first.Round(time.Microsecond), rest[len(rest)/2].Round(time.Microsecond),
		rest[0].Round(time.Microsecond), rest[len(rest)-1].Round(time.Microsecond), closes[len(closes)/2].Round(time.Microsecond))
}
