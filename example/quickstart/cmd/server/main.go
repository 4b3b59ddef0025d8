// Command server joins a LiveKit room as the participant "server" and serves
// GreetService there until it is interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	greetv1 "example.com/greeter/gen/greet/v1"
	"example.com/greeter/greeter"
)

func main() {
	room := flag.String("room", "quickstart", "the room to join")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	conn, err := greeter.Join(ctx, *room, "server")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	if _, err := greetv1.RegisterGreetServiceHandler(conn, greeter.Service{}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("server: serving GreetService as %q in room %q\n", conn.Identity(), *room)

	select {
	case <-ctx.Done(): // Ctrl-C or SIGTERM: leave the room
	case <-conn.Done(): // the room was lost
		log.Fatal(conn.Err())
	}
}
