package greeter

import (
	"context"
	"fmt"
	"io"
	"time"

	greetv1 "example.com/greeter/gen/greet/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

// PoemBytes is the size of the poem the client asks for: 256 KiB, far over
// the 15 KiB a single RPC v1 packet can carry.
const PoemBytes = 256 << 10

// CallServer calls the GreetService of the participant server through t (a
// *lkrpc.Conn) and prints each reply and how it crossed the wire.
func CallServer(ctx context.Context, t lkrpc.Transport, server string, out io.Writer) error {
	client := greetv1.NewGreetServiceClient(t, server)

	var report lkrpc.CallReport // how the call went: sizes, wire forms, time
	hello, err := client.Greet(ctx, &greetv1.GreetRequest{Name: "Ada"}, lkrpc.WithReport(&report))
	if err != nil {
		return fmt.Errorf("Greet: %w", err)
	}
	fmt.Fprintf(out, "client: Greet: %q %s\n", hello.GetGreeting(), describe(report))

	poem, err := client.Poem(ctx, &greetv1.PoemRequest{Bytes: PoemBytes}, lkrpc.WithReport(&report))
	if err != nil {
		return fmt.Errorf("Poem: %w", err)
	}
	if len(poem.GetText()) != PoemBytes {
		return fmt.Errorf("Poem: got %d bytes, want %d", len(poem.GetText()), PoemBytes)
	}
	fmt.Fprintf(out, "client: Poem: %d bytes %s\n", len(poem.GetText()), describe(report))
	return nil
}

// describe says how a call's reply crossed the wire, and how long the call took.
func describe(r lkrpc.CallReport) string {
	return fmt.Sprintf("[reply: %s, %d packet(s), %d B on the wire; %s]",
		r.Response, r.Response.Packets, r.Response.WireBytes, r.Duration.Round(100*time.Microsecond))
}
