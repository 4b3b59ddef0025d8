// Command lkrpc lists the participants of a LiveKit room with the lkrpc
// services each serves, and calls a participant's methods from a terminal:
// typed when given the service's .proto or descriptor set, raw otherwise.
//
//	export LIVEKIT_URL=ws://localhost:7880 LIVEKIT_API_KEY=… LIVEKIT_API_SECRET=…
//	lkrpc participants --room demo
//	lkrpc call --room demo agent ping '{}'
//	lkrpc call --room demo --proto agent.proto agent Summarize @transcript.json
//
// Run lkrpc help for the commands and their exit statuses.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"golang.org/x/term"
)

const help = `lkrpc calls lkrpc services (and any LiveKit RPC method) in a LiveKit room.

Usage:
  lkrpc participants [flags]                              who is in the room and what each serves
  lkrpc call [flags] <identity> <method> [json | @file | -]  call a method and print the reply
  lkrpc help [command]

The server comes from LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET
(or --url, --api-key, --api-secret); --room names the room.

`

// stdio is the command's terminal.
type stdio struct {
	stdin            io.Reader
	stdout, stderr   io.Writer
	stderrIsTerminal bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	io_ := stdio{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, stderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd()))}
	os.Exit(run(ctx, os.Args[1:], io_, os.Getenv))
}

// run runs one command and returns the exit status.
func run(ctx context.Context, args []string, io_ stdio, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(io_.stderr, help+exitStatusHelp+"\n")
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "participants":
		err = runParticipants(ctx, rest, io_, getenv)
	case "call":
		err = runCall(ctx, rest, io_, getenv)
	case "help", "-h", "-help", "--help":
		return runHelp(rest, io_)
	default:
		err = usagef("unknown command %q; run lkrpc help", cmd)
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	status := exitStatus(err)
	if err != nil {
		fmt.Fprintf(io_.stderr, "lkrpc: %s\n", describeError(err))
	}
	return status
}

func runHelp(args []string, io_ stdio) int {
	switch {
	case len(args) == 1 && args[0] == "call":
		fmt.Fprint(io_.stdout, callHelp)
		fs := (&callCmd{}).flags()
		fs.SetOutput(io_.stdout)
		fs.PrintDefaults()
	case len(args) == 1 && args[0] == "participants":
		fmt.Fprint(io_.stdout, participantsHelp)
		fs := (&participantsCmd{}).flags()
		fs.SetOutput(io_.stdout)
		fs.PrintDefaults()
	default:
		fmt.Fprint(io_.stdout, help+exitStatusHelp+"\n")
	}
	return exitOK
}

// parseFlags parses fs from args, flags and positional arguments in any
// order (the flag package stops at the first positional one), and
// returns the positional ones. -h prints usage and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string, usage string, stderr io.Writer) ([]string, error) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
