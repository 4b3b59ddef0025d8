// Command inmemory is the README's complete program: an agent and a
// frontend in one process on the in-memory room, one typed call between
// them. The README quotes this file whole (checked by scripts/userrepo.sh).
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

// agent serves VoiceAgent; the embedded Unimplemented handler answers 1400
// for the methods it does not write.
type agent struct {
	agentv1.UnimplementedVoiceAgentHandler
}

func (agent) GetStatus(ctx context.Context, _ *agentv1.GetStatusRequest) (*agentv1.GetStatusResponse, error) {
	caller, _ := lkrpc.CallerFromContext(ctx) // identity as stamped by the SFU, kind, attributes, deadline
	return &agentv1.GetStatusResponse{VoiceId: "alloy for " + caller.Identity}, nil
}

func main() {
	room, err := memroom.New()
	if err != nil {
		log.Fatal(err)
	}
	defer room.Close()

	server, err := lkrpc.ConnectMemory(room, "agent")
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	// All methods are registered, or none.
	if _, err := agentv1.RegisterVoiceAgentHandler(server, agent{}); err != nil {
		log.Fatal(err)
	}

	client, err := lkrpc.ConnectMemory(room, "frontend")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	status, err := agentv1.NewVoiceAgentClient(client, "agent").
		GetStatus(context.Background(), &agentv1.GetStatusRequest{}, lkrpc.WithTimeout(2*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(status.GetVoiceId()) // alloy for frontend
}
