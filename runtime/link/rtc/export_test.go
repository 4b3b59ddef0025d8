package rtc

import "github.com/livekit/protocol/livekit"

// DropSignal closes the link's signal WebSocket as a network failure
// would, without a leave: the link then resumes, or ends if resuming is
// off (WithResumeTimeout(0)).
func DropSignal(l *Link) {
	if s := l.current(); s != nil {
		if sc := s.currentSignal(); sc != nil {
			sc.t.Close()
		}
	}
}

// InjectLeave hands the link a LeaveRequest as if the server had sent it on
// the current signal connection. livekit-server v1.13.5 sends one with
// action RECONNECT or RESUME only in states a test cannot bring about on
// demand (a failed publication, a migration, its own transport failure).
func InjectLeave(l *Link, leave *livekit.LeaveRequest) {
	if s := l.current(); s != nil {
		if sc := s.currentSignal(); sc != nil {
			sc.OnLeave(leave)
		}
	}
}

// FailTransport reports a failed peer connection, as pion does after ICE
// has had no answer for its failed timeout (15 s in server-sdk-go's
// settings); fatal says the data channel closed too.
func FailTransport(l *Link, fatal bool) {
	if s := l.current(); s != nil {
		l.transportFailed(s, ErrTransportFailed, fatal)
	}
}
