package rtc

import (
	"fmt"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"github.com/pion/webrtc/v4"
)

// signalProcessor receives what the server says on the signal connection
// (signalling.SignalProcessor) and its closing (SignalTransportHandler). It
// runs on the signal reader goroutine (the JoinResponse on Connect's), so
// nothing here may wait for the link's teardown, which closes that reader.
type signalProcessor Link

var (
	_ signalling.SignalProcessor        = (*signalProcessor)(nil)
	_ signalling.SignalTransportHandler = (*signalProcessor)(nil)
)

func (s *signalProcessor) link() *Link { return (*Link)(s) }

func (s *signalProcessor) OnJoinResponse(res *livekit.JoinResponse) error {
	return s.link().onJoinResponse(res)
}

func (s *signalProcessor) OnAnswer(sd webrtc.SessionDescription, _ uint32, _ map[string]string) {
	l := s.link()
	if err := l.pc.transport.SetRemoteDescription(sd); err != nil {
		l.end(fmt.Errorf("%w: apply the server's answer: %v", ErrTransportFailed, err))
	}
}

func (s *signalProcessor) OnOffer(sd webrtc.SessionDescription, offerID uint32, _ map[string]string) {
	l := s.link()
	l.pc.lastOfferID.Store(offerID)
	if err := l.pc.transport.SetRemoteDescription(sd); err != nil {
		l.end(fmt.Errorf("%w: apply the server's offer: %v", ErrTransportFailed, err))
	}
}

func (s *signalProcessor) OnTrickle(c webrtc.ICECandidateInit, _ livekit.SignalTarget) {
	// One peer connection: candidates for either target are ours.
	if err := s.link().pc.transport.AddICECandidate(c); err != nil {
		s.link().log.Debugw("could not add remote ICE candidate", "error", err)
	}
}

func (s *signalProcessor) OnParticipantUpdate(infos []*livekit.ParticipantInfo) {
	s.link().onParticipantUpdate(infos)
}

func (s *signalProcessor) OnLeave(leave *livekit.LeaveRequest) {
	l := s.link()
	if l.leaving.Load() {
		l.leaveAnswered() // the server's reply to our LeaveRequest
		return
	}
	l.end(fmt.Errorf("%w: leave action %s, reason %s", ErrRemovedByServer, leave.GetAction(), leave.GetReason()))
}

func (s *signalProcessor) OnRoomMoved(moved *livekit.RoomMovedResponse) {
	s.link().end(fmt.Errorf("%w: moved to room %q (following a move is not implemented)",
		ErrRemovedByServer, moved.GetRoom().GetName()))
}

func (s *signalProcessor) OnTokenRefresh(token string) { s.link().setToken(token) }

// OnTransportClose: the signal reader ended. Expected while leaving;
// otherwise the link tries to resume (resume.go).
func (s *signalProcessor) OnTransportClose() {
	l := s.link()
	if l.leaving.Load() {
		l.leaveAnswered()
		return
	}
	l.signalLost()
}

func (s *signalProcessor) OnReconnectResponse(res *livekit.ReconnectResponse) error {
	return s.link().onReconnectResponse(res)
}

// What follows concerns media, speakers or quality, none of which a
// data-only link uses.

func (s *signalProcessor) OnLocalTrackPublished(*livekit.TrackPublishedResponse)            {}
func (s *signalProcessor) OnLocalTrackUnpublished(*livekit.TrackUnpublishedResponse)        {}
func (s *signalProcessor) OnSpeakersChanged([]*livekit.SpeakerInfo)                         {}
func (s *signalProcessor) OnConnectionQuality([]*livekit.ConnectionQualityInfo)             {}
func (s *signalProcessor) OnRoomUpdate(*livekit.Room)                                       {}
func (s *signalProcessor) OnTrackRemoteMuted(*livekit.MuteTrackRequest)                     {}
func (s *signalProcessor) OnLocalTrackSubscribed(*livekit.TrackSubscribed)                  {}
func (s *signalProcessor) OnSubscribedQualityUpdate(*livekit.SubscribedQualityUpdate)       {}
func (s *signalProcessor) OnSubscribedAudioCodecUpdate(*livekit.SubscribedAudioCodecUpdate) {}
func (s *signalProcessor) OnMediaSectionsRequirement(*livekit.MediaSectionsRequirement)     {}
