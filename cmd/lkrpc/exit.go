package main

import (
	"context"
	"errors"
	"fmt"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// Exit statuses, one per class of failure, so that a script can tell a
// mistake in its own command line from an agent that is not there.
const (
	exitOK          = 0
	exitApplication = 1 // the handler answered with an error (1500, 2400, 2403, an application code)
	exitUsage       = 2 // bad flags, arguments, JSON or configuration; nothing was sent
	exitConnect     = 3 // the server refused or could not be reached
	exitUnreachable = 4 // not served there: 1400 unknown method, 1401 not in the room, 1503 left
	exitTimeout     = 5 // 1501 no ack, 1502 no response in time
	exitTooLarge    = 6 // 1402, 1504: a payload over a limit
	exitTransport   = 7 // any other RPC failure (1403, 1404, 1505, 2401 …)
	exitInterrupted = 130
)

const exitStatusHelp = `Exit status:
  0  the call succeeded (participants: listed)
  1  the handler answered with an error (1500, 2400, 2403 or the application's own code)
  2  usage: bad flags, arguments, JSON or configuration; nothing was sent
  3  connecting failed: server unreachable, bad key or secret, token refused
  4  not served: 1400 unknown method, 1401 no such participant, 1503 it left
  5  timeout: 1501 no acknowledgement, 1502 no response in time
  6  too large: 1402 request or 1504 response over a limit
  7  any other RPC failure (1403, 1404, 1505, 2401)
  130 interrupted`

// usageError is a mistake in the command line or its inputs.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// connectError is a failure to reach or join the server.
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// exitStatus classifies err.
func exitStatus(err error) int {
	var usage *usageError
	var conn *connectError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &conn):
		return exitConnect
	}
	e, ok := rpcerr.From(err)
	if !ok {
		return exitTransport
	}
	switch e.Code {
	case rpcerr.UnsupportedMethod, rpcerr.RecipientNotFound, rpcerr.RecipientDisconnected:
		return exitUnreachable
	case rpcerr.ConnectionTimeout, rpcerr.ResponseTimeout:
		return exitTimeout
	case rpcerr.RequestPayloadTooLarge, rpcerr.ResponsePayloadTooLarge:
		return exitTooLarge
	case rpcerr.UnsupportedServer, rpcerr.UnsupportedVersion, rpcerr.SendFailed, lkrpc.MalformedResponse:
		return exitTransport
	}
	return exitApplication
}
