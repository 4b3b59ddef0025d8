package roomservice

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/twitchtv/twirp"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// rpcErrorText is how livekit-server v1.13.5 words a participant's
// RpcError in the Twirp error's msg (utils.DataChannelRpcError.Error behind
// psrpc's prefix), e.g.
//
//	{"code":"internal","msg":"twirp error unknown: RpcError 2001: no greeting today: {\"why\":\"asked to\"}"}
var rpcErrorText = regexp.MustCompile(`(?s)^(?:.*?: )?RpcError (\d+): (.*)$`)

// noServer is the server's msg when no participant of that identity is in
// the room (or there is no such room): its internal bus found nobody to
// take the request (503 "unavailable", after about 3 s).
const noServer = "no response from servers"

// fromServerError turns what PerformRpc returned into the call's error:
// the participant's *rpcerr.Error when the server relays one, 1401 for an
// absent destination, otherwise a Go error naming what failed.
func fromServerError(err error, room, destination string) error {
	var te twirp.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("roomservice: PerformRpc to %q in room %q: %w", destination, room, err)
	}
	msg := te.Msg()
	if m := rpcErrorText.FindStringSubmatch(msg); m != nil {
		if code, cerr := strconv.Atoi(m[1]); cerr == nil {
			message, data := splitMessage(code, m[2])
			return &rpcerr.Error{Code: code, Message: message, Data: data}
		}
	}
	switch {
	case te.Code() == twirp.Unavailable && strings.Contains(msg, noServer):
		return rpcerr.BuiltinData(rpcerr.RecipientNotFound,
			fmt.Sprintf("livekit-server: %s: no participant %q in room %q", noServer, destination, room))
	case te.Code() == twirp.Unauthenticated, te.Code() == twirp.PermissionDenied,
		te.Meta("status_code") == strconv.Itoa(http.StatusUnauthorized):
		return fmt.Errorf("roomservice: livekit-server refused the API key or secret for room %q (%s): %s",
			room, te.Code(), authReason(te))
	}
	return fmt.Errorf("roomservice: PerformRpc to %q in room %q failed: %s: %s", destination, room, te.Code(), msg)
}

// authReason is why the server refused the token, without the token: a bad
// signature comes back as a plain-text 401 ("invalid token: <jwt>, error:
// token signature is invalid: …"), which Twirp's client reports as an
// error from an intermediary with the body in its meta.
func authReason(te twirp.Error) string {
	if body := te.Meta("body"); body != "" {
		body = strings.TrimSpace(body)
		if _, after, ok := strings.Cut(body, ", error: "); ok {
			return after
		}
		if strings.HasPrefix(body, "invalid token") {
			return "invalid token"
		}
		return body
	}
	return te.Msg()
}

// splitMessage parses "<message>[: <data>]". A built-in code's message is
// known; otherwise data that is JSON (lkrpc's typed details) is found at
// the first ": " after which the rest is valid JSON, and anything else is
// split at the first ": ".
func splitMessage(code int, s string) (message, data string) {
	if std := rpcerr.Message(code); std != "" && strings.HasPrefix(s, std) {
		if rest, ok := strings.CutPrefix(s[len(std):], ": "); ok {
			return std, rest
		}
		if len(s) == len(std) {
			return std, ""
		}
	}
	for i := 0; ; {
		j := strings.Index(s[i:], ": ")
		if j < 0 {
			break
		}
		rest := s[i+j+2:]
		if strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, "[") {
			if json.Valid([]byte(rest)) {
				return s[:i+j], rest
			}
		}
		i += j + 2
	}
	if message, data, ok := strings.Cut(s, ": "); ok {
		return message, data
	}
	return s, ""
}
