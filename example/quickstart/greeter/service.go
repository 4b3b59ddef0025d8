// Package greeter is the quickstart's application code: the GreetService it
// serves, the calls its client makes, and how a program joins a LiveKit room.
package greeter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	greetv1 "example.com/greeter/gen/greet/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

// Service implements the generated greetv1.GreetServiceHandler.
type Service struct {
	// Embedded so that Service keeps compiling when the service grows: a
	// method it does not implement answers UnsupportedMethod (1400).
	greetv1.UnimplementedGreetServiceHandler
}

// Greet answers with a greeting.
func (Service) Greet(ctx context.Context, req *greetv1.GreetRequest) (*greetv1.GreetResponse, error) {
	caller, _ := lkrpc.CallerFromContext(ctx) // who called, as the room says
	fmt.Printf("server: Greet(%q) from %s\n", req.GetName(), caller.Identity)
	return &greetv1.GreetResponse{Greeting: "Hello, " + req.GetName() + "!"}, nil
}

// MaxPoemBytes bounds what Poem writes.
const MaxPoemBytes = 4 << 20

// Poem answers with req.Bytes bytes of verse.
func (Service) Poem(ctx context.Context, req *greetv1.PoemRequest) (*greetv1.PoemResponse, error) {
	caller, _ := lkrpc.CallerFromContext(ctx)
	fmt.Printf("server: Poem(%d bytes) from %s\n", req.GetBytes(), caller.Identity)
	if req.GetBytes() > MaxPoemBytes {
		// An application error: the caller gets an *lkrpc.Error with this
		// code and message.
		return nil, lkrpc.NewError(4001, fmt.Sprintf("a poem of at most %d bytes, please", MaxPoemBytes))
	}
	return &greetv1.PoemResponse{Text: verse(int(req.GetBytes()))}, nil
}

// verse writes n bytes of words in random order: text that compresses about
// as well as prose does.
func verse(n int) string {
	words := strings.Fields("the room hears a voice that carries far beyond the wire " +
		"and every participant answers in its turn with streams of light")
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(8) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()[:n]
}
