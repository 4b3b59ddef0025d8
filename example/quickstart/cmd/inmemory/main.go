// Command inmemory runs the quickstart without a LiveKit server: the server
// and the client join an in-memory room inside this one process.
package main

import (
	"context"
	"log"
	"os"
	"time"

	greetv1 "example.com/greeter/gen/greet/v1"
	"example.com/greeter/greeter"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

func main() {
	room, err := memroom.New()
	if err != nil {
		log.Fatal(err)
	}
	defer room.Close()

	server, err := lkrpc.ConnectMemory(room, "server")
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	if _, err := greetv1.RegisterGreetServiceHandler(server, greeter.Service{}); err != nil {
		log.Fatal(err)
	}

	client, err := lkrpc.ConnectMemory(room, "client")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := greeter.CallServer(ctx, client, "server", os.Stdout); err != nil {
		log.Fatal(err)
	}
}
