// Command demo shows lkrpc end to end: a voice agent serves the generated
// VoiceAgent service and a frontend calls it with the generated typed client,
// on the embedded in-memory room, or on a real LiveKit server when
// LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET are set. Each call
// prints the form its request and reply took on the wire and how long
// it took.
//
//	go run ./example/demo            # 1 MiB large calls, in memory
//	go run ./example/demo -size 4MiB
//	LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret go run ./example/demo
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lkrpc/lkrpc/example/agent"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func main() {
	size := flag.String("size", "1MiB", "payload size of the large calls (e.g. 512KiB, 1MiB, 4MiB)")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	if err := run(n); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(large int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var room *participants
	var err error
	if url := os.Getenv("LIVEKIT_URL"); url != "" {
		key, secret := os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET")
		if key == "" || secret == "" {
			return errors.New("LIVEKIT_URL is set: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET too")
		}
		room, err = onLiveKit(ctx, url, key, secret)
	} else {
		room, err = inMemory()
	}
	if err != nil {
		return err
	}
	defer room.close()

	// Both agents serve VoiceAgent.
	for _, t := range []*lkrpc.Conn{room.agent, room.v1Agent} {
		unregister, err := agentv1.RegisterVoiceAgentHandler(t, agent.New("alloy", "echo"))
		if err != nil {
			return err
		}
		defer unregister()
	}

	client := agentv1.NewVoiceAgentClient(room.frontend, agentID)
	legacy := agentv1.NewVoiceAgentClient(room.frontend, v1AgentID)
	doc := document(large)
	transcript := transcript(large)

	fmt.Printf("lkrpc demo on %s: frontend calls agent (client protocol 2 + deflate) and v1-agent (client protocol 0)\n\n", room.where)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CALL\tREQUEST\tVIA\tREPLY\tVIA\tTIME\tOUTCOME")
	show := func(name string, call func(...lkrpc.CallOption) error) {
		var r lkrpc.CallReport
		err := call(lkrpc.WithReport(&r))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name,
			bytesize(r.RequestBytes), via(r.Request), bytesize(r.ResponseBytes), via(r.Response),
			r.Duration.Round(10*time.Microsecond), outcome(err))
	}

	show("Ping", func(o ...lkrpc.CallOption) error {
		_, err := client.Ping(ctx, &agentv1.PingRequest{}, o...)
		return err
	})
	show("GetStatus", func(o ...lkrpc.CallOption) error {
		_, err := client.GetStatus(ctx, &agentv1.GetStatusRequest{}, o...)
		return err
	})
	show("Summarize (JSON)", func(o ...lkrpc.CallOption) error {
		_, err := client.Summarize(ctx, &agentv1.SummarizeRequest{Document: doc}, o...)
		return err
	})
	show("AnnotateTranscript (binary)", func(o ...lkrpc.CallOption) error {
		_, err := client.AnnotateTranscript(ctx, &agentv1.AnnotateTranscriptRequest{Transcript: transcript}, o...)
		return err
	})
	show("SetVoice(\"nova\")", func(o ...lkrpc.CallOption) error {
		_, err := client.SetVoice(ctx, &agentv1.SetVoiceRequest{VoiceId: "nova"}, o...)
		return err
	})
	show("v1-agent Ping", func(o ...lkrpc.CallOption) error {
		_, err := legacy.Ping(ctx, &agentv1.PingRequest{}, o...)
		return err
	})
	show("v1-agent Summarize", func(o ...lkrpc.CallOption) error {
		_, err := legacy.Summarize(ctx, &agentv1.SummarizeRequest{Document: doc}, o...)
		return err
	})
	if err := tw.Flush(); err != nil {
		return err
	}
	return answer(ctx, client)
}

// answer streams the agent's Answer and prints each piece as it arrives,
// as a frontend shows a language model's tokens.
func answer(ctx context.Context, client agentv1.VoiceAgentClient) error {
	fmt.Print("\nAnswer (streamed): ")
	start := time.Now()
	stream, err := client.Answer(ctx, &agentv1.AnswerRequest{Question: "lkrpc", MaxTokens: 24})
	if err != nil {
		return err
	}
	defer stream.Close()
	var first time.Duration
	n := 0
	for stream.Receive() {
		if n == 0 {
			first = time.Since(start)
		}
		fmt.Print(stream.Msg().GetText())
		n++
	}
	fmt.Println()
	if err := stream.Err(); err != nil {
		return fmt.Errorf("Answer: %w", err)
	}
	fmt.Printf("%d messages, the first after %v, all after %v\n", n, first.Round(10*time.Microsecond), time.Since(start).Round(time.Millisecond))
	return nil
}

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var rerr *lkrpc.Error
	if !errors.As(err, &rerr) {
		return "error: " + err.Error()
	}
	s := fmt.Sprintf("error %d: %s", rerr.Code, rerr.Message)
	if details, derr := lkrpc.ErrorDetails(err); derr == nil {
		for _, d := range details {
			if v, ok := d.(*agentv1.VoiceUnavailable); ok {
				s += fmt.Sprintf(" (available: %s)", strings.Join(v.GetAvailableVoiceIds(), ", "))
			}
		}
	}
	return s
}

func via(t transport.Transfer) string {
	if t.Form == 0 {
		return "-"
	}
	return fmt.Sprintf("%s (%d pkt, %s)", t, t.Packets, bytesize(t.WireBytes))
}
