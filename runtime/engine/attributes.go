package engine

import (
	"strconv"
	"time"
)

// maxTimeoutMs bounds a response timeout read from the wire, so that
// converting it to a time.Duration cannot overflow.
const maxTimeoutMs = int64(time.Duration(1<<63-1) / time.Millisecond)

// requestAttributes are the attributes of an lk.rpc_request stream header
// (PROTOCOL.md §3.2).
func requestAttributes(id, method string, timeoutMs uint32) map[string]string {
	return map[string]string{
		AttrRequestID:       id,
		AttrRequestMethod:   method,
		AttrResponseTimeout: strconv.FormatUint(uint64(timeoutMs), 10),
		AttrRequestVersion:  strconv.Itoa(versionStream),
	}
}

// streamRequest is what the attributes of an lk.rpc_request header say.
type streamRequest struct {
	id, method string
	timeoutMs  int64 // in [0, maxTimeoutMs]; 0 when the caller sent 0 or less
	version    int
}

// parseRequestAttributes reads the four lk.rpc_request_* attributes. It
// reports false when one is missing or unparsable, which PROTOCOL.md §3.3
// answers with error 1500 and no ack. The timeout is advisory: a negative
// one reads as 0 (the handler's default) and a huge one is capped.
func parseRequestAttributes(attrs map[string]string) (streamRequest, bool) {
	id, method := attrs[AttrRequestID], attrs[AttrRequestMethod]
	timeoutMs, errT := strconv.ParseInt(attrs[AttrResponseTimeout], 10, 64)
	version, errV := strconv.Atoi(attrs[AttrRequestVersion])
	if id == "" || method == "" || errT != nil || errV != nil {
		return streamRequest{}, false
	}
	return streamRequest{id: id, method: method, timeoutMs: min(max(timeoutMs, 0), maxTimeoutMs), version: version}, true
}
