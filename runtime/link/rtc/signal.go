package rtc

import (
	"errors"
	"fmt"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"github.com/pion/webrtc/v4"
)

// signalConn is one signal connection of a session: it receives what the
// server says on it (signalling.SignalProcessor) and its closing
// (SignalTransportHandler). It runs on the signal reader goroutine (the
// JoinResponse on the joining goroutine), so nothing here may wait for the
// link's teardown, which closes that reader. What a stale connection says
// (one its session replaced, or of a dropped session) is ignored.
type signalConn struct {
	l *Link
	s *session
	t signalling.SignalTransport
}

var (
	_ signalling.SignalProcessor        = (*signalConn)(nil)
	_ signalling.SignalTransportHandler = (*signalConn)(nil)
)

func (c *signalConn) live() bool { return c.l.isCurrent(c.s, c) }

func (c *signalConn) OnJoinResponse(res *livekit.JoinResponse) error {
	if !c.live() {
		return errors.New("rtc: JoinResponse on a dropped session")
	}
	return c.l.onJoinResponse(c, res)
}

func (c *signalConn) OnAnswer(sd webrtc.SessionDescription, _ uint32, _ map[string]string) {
	if !c.live() {
		return
	}
	if err := c.s.pc.transport.SetRemoteDescription(sd); err != nil {
		c.l.sessionFailed(c.s, fmt.Errorf("%w: apply the server's answer: %v", ErrTransportFailed, err))
	}
}

func (c *signalConn) OnOffer(sd webrtc.SessionDescription, offerID uint32, _ map[string]string) {
	if !c.live() {
		return
	}
	c.s.pc.lastOfferID.Store(offerID)
	if err := c.s.pc.transport.SetRemoteDescription(sd); err != nil {
		c.l.sessionFailed(c.s, fmt.Errorf("%w: apply the server's offer: %v", ErrTransportFailed, err))
	}
}

func (c *signalConn) OnTrickle(cand webrtc.ICECandidateInit, _ livekit.SignalTarget) {
	if !c.live() {
		return
	}
	// One peer connection: candidates for either target are ours.
	if err := c.s.pc.transport.AddICECandidate(cand); err != nil {
		c.l.log.Debugw("could not add remote ICE candidate", "error", err)
	}
}

func (c *signalConn) OnParticipantUpdate(infos []*livekit.ParticipantInfo) {
	if c.live() {
		c.l.onParticipantUpdate(c.s, infos)
	}
}

// OnLeave: the server's answer to our own LeaveRequest, or the server
// ending the session. Its action says what the server expects: RESUME (a
// resume with the same SID, as after a failed transport), RECONNECT (a new
// session: a rejoin) or DISCONNECT (stay out: the link ends). The link
// recovers as told when WithResumeTimeout and WithReconnect allow it.
func (c *signalConn) OnLeave(leave *livekit.LeaveRequest) {
	l := c.l
	if l.leaving.Load() {
		l.leaveAnswered() // the server's reply to our LeaveRequest
		return
	}
	if l.current() != c.s || c.s.isDown() {
		return
	}
	err := fmt.Errorf("%w: leave action %s, reason %s", ErrRemovedByServer, leave.GetAction(), leave.GetReason())
	switch action(leave) {
	case livekit.LeaveRequest_RESUME:
		l.recover(c.s, false, err)
	case livekit.LeaveRequest_RECONNECT:
		l.recover(c.s, true, err)
	default:
		l.end(err)
	}
}

// action is what a LeaveRequest asks for; servers older than protocol 13
// say can_reconnect instead.
func action(leave *livekit.LeaveRequest) livekit.LeaveRequest_Action {
	if leave.GetAction() == livekit.LeaveRequest_DISCONNECT && leave.GetCanReconnect() {
		return livekit.LeaveRequest_RECONNECT
	}
	return leave.GetAction()
}

func (c *signalConn) OnRoomMoved(moved *livekit.RoomMovedResponse) {
	if c.live() {
		c.l.end(fmt.Errorf("%w: moved to room %q (following a move is not implemented)",
			ErrRemovedByServer, moved.GetRoom().GetName()))
	}
}

func (c *signalConn) OnTokenRefresh(token string) { c.l.setToken(token) }

// OnTransportClose: the signal reader ended. Expected while leaving;
// otherwise the link resumes (recovery.go).
func (c *signalConn) OnTransportClose() {
	l := c.l
	if l.leaving.Load() {
		l.leaveAnswered()
		return
	}
	if c.live() {
		l.signalLost(c.s)
	}
}

func (c *signalConn) OnReconnectResponse(res *livekit.ReconnectResponse) error {
	return c.l.onReconnectResponse(res)
}

// What follows concerns media, speakers or quality, none of which a
// data-only link uses.

func (*signalConn) OnLocalTrackPublished(*livekit.TrackPublishedResponse)            {}
func (*signalConn) OnLocalTrackUnpublished(*livekit.TrackUnpublishedResponse)        {}
func (*signalConn) OnSpeakersChanged([]*livekit.SpeakerInfo)                         {}
func (*signalConn) OnConnectionQuality([]*livekit.ConnectionQualityInfo)             {}
func (*signalConn) OnRoomUpdate(*livekit.Room)                                       {}
func (*signalConn) OnTrackRemoteMuted(*livekit.MuteTrackRequest)                     {}
func (*signalConn) OnLocalTrackSubscribed(*livekit.TrackSubscribed)                  {}
func (*signalConn) OnSubscribedQualityUpdate(*livekit.SubscribedQualityUpdate)       {}
func (*signalConn) OnSubscribedAudioCodecUpdate(*livekit.SubscribedAudioCodecUpdate) {}
func (*signalConn) OnMediaSectionsRequirement(*livekit.MediaSectionsRequirement)     {}
