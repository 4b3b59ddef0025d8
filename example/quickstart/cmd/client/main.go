// Command client joins a LiveKit room and calls the GreetService of the
// participant "server" as soon as it has joined.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"example.com/greeter/greeter"
)

func main() {
	room := flag.String("room", "quickstart", "the room to join")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn, err := greeter.Join(ctx, *room, "client")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	fmt.Printf("client: joined room %q as %q\n", *room, conn.Identity())

	// No waiting for the server to appear: a call to a participant the room
	// has not announced yet waits for it, within the call's deadline.
	if err := greeter.CallServer(ctx, conn, "server", os.Stdout); err != nil {
		log.Fatal(err)
	}
}
