package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// TestCluster runs lkrpc on a two-node LiveKit cluster (two livekit-server
// processes sharing Redis, lkserver.StartCluster), each participant joining
// through a different node: the room lives on one node and the other
// relays signalling (e2e/README.md, "Cluster"). The interop subset: Go ↔ Go
// from 16 B to 100 KiB both ways and 10 MiB one way, an application error
// with data, a
// timeout; livekit-client 2.23.0 in Chromium ↔ Go through the matrix
// (runMatrixAcross). Then the node that hosts the room is restarted during
// a call: what happens is logged and checked (see the subtest).
func TestCluster(t *testing.T) {
	lkserver.Require(t)
	c, err := lkserver.StartCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Logf("stopping the cluster: %v", err)
		}
		if t.Failed() {
			t.Logf("node logs: %s, %s; redis: %s", c.Nodes[0].LogPath, c.Nodes[1].LogPath, c.Redis.LogPath)
		}
	})
	t.Run("Go↔Go", func(t *testing.T) { clusterGoGo(t, c) })
	t.Run("browser↔Go", func(t *testing.T) {
		table := newTimingTable()
		runMatrixAcross(t, c.Nodes[0], c.Nodes[1], matrixPeerKinds()[0], table)
		t.Log("\n" + table.String())
	})
	t.Run("room's node restarted during a call", func(t *testing.T) { clusterNodeRestart(t, c) })
}

// clusterPair joins alice through node 0 and bob through node 1, each
// serving goEcho, and waits until they see each other.
func clusterPair(t *testing.T, c *lkserver.Cluster, opts ...rtc.Option) (room string, alice, bob *engine.Engine, al, bl *rtc.Link) {
	t.Helper()
	room = lkserver.RoomName(t)
	al = c.Nodes[0].ConnectLink(t, room, "alice", opts...)
	bl = c.Nodes[1].ConnectLink(t, room, "bob", opts...)
	alice, bob = newEngine(t, al), newEngine(t, bl)
	t.Cleanup(func() { _ = alice.Close(); _ = bob.Close() })
	for _, e := range []*engine.Engine{alice, bob} {
		if _, err := e.Register(echoMethod, goEcho); err != nil {
			t.Fatal(err)
		}
	}
	lkserver.WaitParticipant(t, al, "bob")
	lkserver.WaitParticipant(t, bl, "alice")
	t.Logf("room %s runs on node %d", room, c.RoomNode(room))
	return room, alice, bob, al, bl
}

func clusterGoGo(t *testing.T, c *lkserver.Cluster) {
	_, alice, bob, _, _ := clusterPair(t, c)
	ctx := context.Background()
	for _, size := range matrixSizes() {
		for _, dir := range []struct {
			name     string
			from     *engine.Engine
			to       string
			fromName string
		}{{"alice → bob", alice, "bob", "alice"}, {"bob → alice", bob, "alice", "bob"}} {
			if size.name == "10MiB" && dir.fromName == "bob" {
				continue // one way is enough for the budget (~10 s under -race); the matrix below does both with a browser
			}
			start := time.Now()
			reply, err := dir.from.Call(ctx, transport.Call{Destination: dir.to, Method: echoMethod, Payload: size.payload, Timeout: 60 * time.Second})
			if err != nil {
				t.Fatalf("%s %s: %v", dir.name, size.name, err)
			}
			if reply.Payload != size.payload {
				t.Fatalf("%s %s: the echo differs (%d bytes back)", dir.name, size.name, len(reply.Payload))
			}
			t.Logf("%s %s echoed in %v", dir.name, size.name, time.Since(start).Round(time.Millisecond))
		}
	}
	_, err := alice.Call(ctx, transport.Call{Destination: "bob", Method: echoMethod, Payload: "fail"})
	var re *rpcerr.Error
	if !errors.As(err, &re) || re.Code != 2001 || re.Data != `{"why":"asked to"}` {
		t.Fatalf("error with data: %v, want 2001 with its data", err)
	}
	start := time.Now()
	_, err = bob.Call(ctx, transport.Call{Destination: "alice", Method: echoMethod, Payload: "slow", Timeout: 500 * time.Millisecond})
	if !errors.As(err, &re) || re.Code != rpcerr.ResponseTimeout {
		t.Fatalf("timeout: %v, want 1502", err)
	}
	t.Logf("1502 after %v", time.Since(start).Round(time.Millisecond))
}

// clusterNodeRestart: the node that hosts the room is killed (SIGKILL)
// while bob's handler runs a call from alice, then started again at once.
// The room dies with its node. The participant whose signal connection
// went to that node sees it drop at once: its resume is refused by the
// fresh node (a Leave with action RECONNECT, or a handshake that times
// out while the node starts) and it rejoins (3–5.5 s after the kill, the
// resume window included), which ends the call in flight
// once with 1503. The participant connected through the other node keeps
// its WebSocket (that node relays to a room that no longer answers) and
// notices only when ICE to the dead node fails (~15 s, pion's timeouts in
// server-sdk-go); its resume is refused too and it rejoins. Once both are
// back (one room again, created by the first rejoin) the next calls both
// ways are served by the registrations made before.
func clusterNodeRestart(t *testing.T, c *lkserver.Cluster) {
	room, alice, bob, al, bl := clusterPair(t, c)
	host := c.RoomNode(room)
	if host < 0 {
		t.Fatalf("cannot tell which node runs room %s from the logs", room)
	}
	held := make(chan error, 2)
	go func() {
		_, err := alice.Call(context.Background(), transport.Call{Destination: "bob", Method: echoMethod, Payload: "slow", Timeout: 30 * time.Second})
		held <- err
	}()
	time.Sleep(300 * time.Millisecond)
	killed := time.Now()
	c.Nodes[host].Kill()
	t.Logf("killed node %d (the room's)", host)
	if err := c.Nodes[host].Restart(); err != nil {
		t.Fatalf("restart node %d: %v", host, err)
	}
	up := time.Now()
	t.Logf("node %d back %v after the kill", host, up.Sub(killed).Round(time.Millisecond))
	select {
	case err := <-held:
		// 1503 if alice's link had to rejoin; the echo if the handler's
		// reply got through before the room went (bob answers after 2 s).
		t.Logf("the call in flight ended %v after the kill: %v", time.Since(killed).Round(time.Millisecond), err)
		if err != nil {
			if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.RecipientDisconnected {
				t.Fatalf("the call in flight ended with %v, want 1503", err)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the call in flight had not ended 30 s after the kill")
	}
	deadline := time.Now().Add(40 * time.Second)
	for al.Rejoins()+al.Resumes() == 0 || bl.Rejoins()+bl.Resumes() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("links not back 40 s after the kill: alice %d rejoins %d resumes, bob %d %d (ended: %v, %v)",
				al.Rejoins(), al.Resumes(), bl.Rejoins(), bl.Resumes(), al.Err(), bl.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("links back %v after the node was (alice: %d rejoins, %d resumes; bob: %d, %d); room now on node %d",
		time.Since(up).Round(time.Millisecond), al.Rejoins(), al.Resumes(), bl.Rejoins(), bl.Resumes(), c.RoomNode(room))
	lkserver.WaitParticipant(t, al, "bob")
	lkserver.WaitParticipant(t, bl, "alice")
	for _, dir := range []struct {
		from *engine.Engine
		to   string
	}{{alice, "bob"}, {bob, "alice"}} {
		reply, err := dir.from.Call(context.Background(), transport.Call{Destination: dir.to, Method: echoMethod, Payload: "after the restart", Timeout: 20 * time.Second})
		if err != nil || reply.Payload != "after the restart" {
			t.Fatalf("call to %s after the restart: %v", dir.to, err)
		}
	}
	t.Logf("calls both ways served %v after the node was back", time.Since(up).Round(time.Millisecond))
}
