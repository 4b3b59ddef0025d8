package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/livekit/protocol/auth"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

// voiceAgent implements the generated agentv1.VoiceAgentHandler. Embedding
// the Unimplemented handler keeps it compiling when the service grows: a
// method it does not implement answers 1400.
type voiceAgent struct {
	agentv1.UnimplementedVoiceAgentHandler
}

func (voiceAgent) GetStatus(ctx context.Context, _ *agentv1.GetStatusRequest) (*agentv1.GetStatusResponse, error) {
	caller, _ := lkrpc.CallerFromContext(ctx) // who called, as the room's server says
	fmt.Println("GetStatus called by", caller.Identity)
	return &agentv1.GetStatusResponse{State: agentv1.AgentState_AGENT_STATE_LISTENING, VoiceId: "alloy"}, nil
}

func (voiceAgent) SetVoice(_ context.Context, req *agentv1.SetVoiceRequest) (*agentv1.SetVoiceResponse, error) {
	if req.GetVoiceId() != "alloy" {
		// A typed error: a code of the application's, a message, and
		// details that a Go caller reads with ErrorDetails and a browser
		// with JSON.parse(error.data).
		return nil, lkrpc.NewError(int(agentv1.VoiceUnavailable_CODE_VOICE_UNAVAILABLE),
			"voice "+req.GetVoiceId()+" is not available",
			&agentv1.VoiceUnavailable{AvailableVoiceIds: []string{"alloy"}})
	}
	return &agentv1.SetVoiceResponse{VoiceId: "alloy"}, nil
}

// Serving: a participant joins a room and registers its handler; every
// method of the service is registered, or none.
func ExampleConnectMemory_handler() {
	room, err := memroom.New()
	if err != nil {
		log.Fatal(err)
	}
	defer room.Close()

	agent, err := lkrpc.ConnectMemory(room, "agent")
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()
	unregister, err := agentv1.RegisterVoiceAgentHandler(agent, voiceAgent{})
	if err != nil {
		log.Fatal(err)
	}
	defer unregister()

	frontend, err := lkrpc.ConnectMemory(room, "frontend")
	if err != nil {
		log.Fatal(err)
	}
	defer frontend.Close()
	status, err := agentv1.NewVoiceAgentClient(frontend, "agent").GetStatus(context.Background(), &agentv1.GetStatusRequest{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("voice:", status.GetVoiceId())
	// Output:
	// GetStatus called by frontend
	// voice: alloy
}

// Calling: a generated client is bound to one destination participant;
// options apply to every call or to one.
func ExampleConnectMemory_client() {
	room, err := memroom.New()
	if err != nil {
		log.Fatal(err)
	}
	defer room.Close()
	agent, _ := lkrpc.ConnectMemory(room, "agent")
	defer agent.Close()
	unregister, _ := agentv1.RegisterVoiceAgentHandler(agent, voiceAgent{})
	defer unregister()

	frontend, err := lkrpc.ConnectMemory(room, "frontend")
	if err != nil {
		log.Fatal(err)
	}
	defer frontend.Close()
	client := agentv1.NewVoiceAgentClient(frontend, "agent", lkrpc.WithTimeout(5*time.Second))

	var report lkrpc.CallReport
	_, err = client.GetStatus(context.Background(), &agentv1.GetStatusRequest{}, lkrpc.WithReport(&report))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: request as %v, reply as %v\n", report.Method, report.Request.Form, report.Response.Form)
	// Output:
	// GetStatus called by frontend
	// example.agent.v1.VoiceAgent/GetStatus: request as v2 single packet, reply as v1 packet
}

// Errors: every RPC failure is an *Error with a code; typed details come
// back with ErrorDetails.
func ExampleErrorDetails() {
	room, err := memroom.New()
	if err != nil {
		log.Fatal(err)
	}
	defer room.Close()
	agent, _ := lkrpc.ConnectMemory(room, "agent")
	defer agent.Close()
	unregister, _ := agentv1.RegisterVoiceAgentHandler(agent, voiceAgent{})
	defer unregister()
	frontend, _ := lkrpc.ConnectMemory(room, "frontend")
	defer frontend.Close()

	_, err = agentv1.NewVoiceAgentClient(frontend, "agent").
		SetVoice(context.Background(), &agentv1.SetVoiceRequest{VoiceId: "nova"})
	var rerr *lkrpc.Error
	if errors.As(err, &rerr) {
		fmt.Println(rerr.Code, rerr.Message)
	}
	details, _ := lkrpc.ErrorDetails(err)
	for _, d := range details {
		if v, ok := d.(*agentv1.VoiceUnavailable); ok {
			fmt.Println("available:", v.GetAvailableVoiceIds())
		}
	}
	// Output:
	// 4040 voice nova is not available
	// available: [alloy]
}

// Joining a real LiveKit room: a token for the identity, then Connect. The
// Conn owns everything it needs; Close leaves the room.
func ExampleConnect() {
	url, key, secret := os.Getenv("LIVEKIT_URL"), os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET")
	if url == "" {
		fmt.Println("set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET")
		return
	}
	token, err := auth.NewAccessToken(key, secret).
		SetIdentity("agent").
		// canUpdateOwnMetadata lets the Conn advertise the services it serves
		// (the lkrpc.services attribute, read with Conn.Serves).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: "support-42", CanUpdateOwnMetadata: new(true)}).
		ToJWT()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	conn, err := lkrpc.Connect(ctx, url, token)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	unregister, err := agentv1.RegisterVoiceAgentHandler(conn, voiceAgent{})
	if err != nil {
		log.Fatal(err)
	}
	defer unregister()
	<-conn.Done() // serve until the room ends the connection (or Close)
}
