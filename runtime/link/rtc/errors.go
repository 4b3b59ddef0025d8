package rtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/livekit/server-sdk-go/v2/signalling"
)

// Errors a link ends with (Disconnected's argument, and what Send returns
// afterwards). Test with errors.Is.
var (
	// ErrClosed: Close was called.
	ErrClosed = errors.New("rtc: link closed")
	// ErrSignalLost: the signal WebSocket closed without a leave and could
	// not be resumed.
	ErrSignalLost = errors.New("rtc: signal connection lost")
	// ErrTransportFailed: ICE or the peer connection failed, or the
	// reliable data channel closed, and recovering was off or failed.
	ErrTransportFailed = errors.New("rtc: peer connection failed")
	// ErrRemovedByServer: the server ended the session (a Leave we did not
	// ask for, or the room moved).
	ErrRemovedByServer = errors.New("rtc: the server ended the session")
	// ErrReconnecting is wrapped (with link.ErrClosed) by what Send returns
	// while the link rejoins the room, and by the sends that were under way
	// on the session it dropped: the engine fails those calls with 1503.
	ErrReconnecting = errors.New("rtc: reconnecting to the room")
	// ErrReconnectFailed: the link lost its session and could not get back
	// within WithReconnect's time (or the server refused the rejoin). The
	// error also wraps what made the link reconnect and the last attempt's
	// error.
	ErrReconnectFailed = errors.New("rtc: reconnecting failed")
)

// JoinError is a join the server refused, with the reason it gave on its
// validate endpoint (a failed WebSocket handshake alone says only "bad
// handshake").
type JoinError struct {
	StatusCode int    // HTTP status of the validate request, e.g. 401
	Reason     string // the server's words, e.g. "invalid authorization token"
}

func (e *JoinError) Error() string {
	return fmt.Sprintf("rtc: join refused by the server (HTTP %d): %s", e.StatusCode, e.Reason)
}

// explainJoinFailure asks the server's validate endpoint why a join failed
// and turns the answer into a clear error. joinErr is what the WebSocket
// dial said.
func explainJoinFailure(ctx context.Context, sig signalling.Signalling, url, token string, params *signalling.ConnectParams, joinErr error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("rtc: join: %w", ctx.Err())
	}
	req, err := sig.HTTPRequestForValidate(ctx, lksdk.Version, lksdk.PROTOCOL, url, token, params, "")
	if err != nil {
		return fmt.Errorf("rtc: join %s: %w", url, joinErr)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("rtc: cannot reach the server at %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		// The server would accept us: the failure was in the connection.
		return fmt.Errorf("rtc: signal connection to %s failed: %w", url, joinErr)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	// The server quotes the token it refused; keep credentials out of errors.
	reason := strings.TrimSpace(strings.ReplaceAll(string(body), token, "<token>"))
	if reason == "" {
		reason = http.StatusText(resp.StatusCode)
	}
	return &JoinError{StatusCode: resp.StatusCode, Reason: reason}
}
