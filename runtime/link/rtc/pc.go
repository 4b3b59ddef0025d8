package rtc

import (
	"fmt"
	"sync/atomic"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	protosignalling "github.com/livekit/protocol/signalling"
	"github.com/pion/webrtc/v4"
	"google.golang.org/protobuf/proto"
)

// Data channel labels the SFU expects (the SDKs use the same).
const (
	reliableLabel = "_reliable"
	lossyLabel    = "_lossy"
)

// peerConn is the single peer connection of the join-request path: we
// create it with both data channels, put its offer into the JoinRequest,
// set that offer locally once the JoinResponse is in (setting it earlier
// would trickle candidates before the signal connection exists), and apply
// the server's answer. All data flows on our "_reliable" channel, both ways.
type peerConn struct {
	transport *pcTransport
	reliable  *webrtc.DataChannel
	lossy     *webrtc.DataChannel
	offer     webrtc.SessionDescription // ours, sent in the JoinRequest

	lastOfferID atomic.Uint32 // id of the server's latest offer, echoed in our answer

	sig        signallingMessageMaker
	sendSignal func(msg proto.Message) error
}

// peerCallbacks is what the peer connection reports to the link.
type peerCallbacks struct {
	sendSignal  func(msg proto.Message) error // to the server over the signal connection
	onPacket    func(data []byte, isString bool, reliable bool)
	onOpen      func()
	onFailure   func(err error, fatal bool) // fatal: the data channel is gone, an ICE restart cannot help
	ignoreClose func() bool                 // true while leaving: closes are expected then
}

// signallingMessageMaker is the part of signalling.Signalling the peer
// connection uses to wrap its messages.
type signallingMessageMaker interface {
	SignalICECandidate(*livekit.TrickleRequest) proto.Message
	SignalSdpAnswer(*livekit.SessionDescription) proto.Message
	SignalSdpOffer(*livekit.SessionDescription) proto.Message
}

func newPeerConn(log logger.Logger, sig signallingMessageMaker, cb peerCallbacks) (*peerConn, error) {
	t, err := newPCTransport(log.WithValues("transport", livekit.SignalTarget_PUBLISHER))
	if err != nil {
		return nil, fmt.Errorf("rtc: create peer connection: %w", err)
	}
	p := &peerConn{transport: t, sig: sig, sendSignal: cb.sendSignal}
	pc := t.PeerConnection()

	ordered := true
	if p.reliable, err = pc.CreateDataChannel(reliableLabel, &webrtc.DataChannelInit{Ordered: &ordered}); err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("rtc: create %s data channel: %w", reliableLabel, err)
	}
	unordered, noRetransmits := false, uint16(0)
	if p.lossy, err = pc.CreateDataChannel(lossyLabel, &webrtc.DataChannelInit{Ordered: &unordered, MaxRetransmits: &noRetransmits}); err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("rtc: create %s data channel: %w", lossyLabel, err)
	}

	p.reliable.OnOpen(cb.onOpen)
	p.reliable.OnMessage(func(m webrtc.DataChannelMessage) { cb.onPacket(m.Data, m.IsString, true) })
	p.lossy.OnMessage(func(m webrtc.DataChannelMessage) { cb.onPacket(m.Data, m.IsString, false) })
	p.reliable.OnClose(func() {
		if !cb.ignoreClose() {
			cb.onFailure(fmt.Errorf("%w: the %s data channel closed", ErrTransportFailed, reliableLabel), true)
		}
	})

	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return // gathering finished
		}
		trickle := protosignalling.ToProtoTrickle(c.ToJSON(), livekit.SignalTarget_PUBLISHER, false)
		if err := cb.sendSignal(sig.SignalICECandidate(trickle)); err != nil {
			log.Debugw("could not send ICE candidate", "error", err)
		}
	})
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		log.Debugw("ICE connection state", "state", s)
		if s == webrtc.ICEConnectionStateFailed && !cb.ignoreClose() {
			cb.onFailure(fmt.Errorf("%w: ICE failed", ErrTransportFailed), false)
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		log.Debugw("peer connection state", "state", s)
		if s == webrtc.PeerConnectionStateFailed && !cb.ignoreClose() {
			cb.onFailure(fmt.Errorf("%w: peer connection failed", ErrTransportFailed), false)
		}
	})
	// The server may renegotiate by offering (it does not for a data-only
	// participant today); answer whenever a remote offer has been applied.
	t.OnRemoteDescriptionSettled(func() error {
		if pc.SignalingState() != webrtc.SignalingStateHaveRemoteOffer {
			return nil
		}
		answer, err := pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		if err := pc.SetLocalDescription(answer); err != nil {
			return err
		}
		return cb.sendSignal(sig.SignalSdpAnswer(
			protosignalling.ToProtoSessionDescription(answer, p.lastOfferID.Load(), nil)))
	})

	if p.offer, err = t.GetLocalOffer(); err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("rtc: create offer: %w", err)
	}
	return p, nil
}

// configure applies the ICE servers and policy of a JoinResponse.
func (p *peerConn) configure(res *livekit.JoinResponse) error {
	cfg := webrtc.Configuration{ICEServers: protosignalling.FromProtoIceServers(res.GetIceServers())}
	if res.GetClientConfiguration().GetForceRelay() == livekit.ClientConfigSetting_ENABLED {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	if err := p.transport.SetConfiguration(cfg); err != nil {
		return fmt.Errorf("rtc: configure peer connection: %w", err)
	}
	return nil
}

// startICE sets our offer locally; ICE gathering starts now and candidates
// trickle to the server.
func (p *peerConn) startICE() error {
	if err := p.transport.PeerConnection().SetLocalDescription(p.offer); err != nil {
		return fmt.Errorf("rtc: set local offer: %w", err)
	}
	return nil
}

func (p *peerConn) close() {
	_ = p.transport.Close()
}

// iceConnected reports whether ICE has a working candidate pair.
func (p *peerConn) iceConnected() bool {
	switch p.transport.PeerConnection().ICEConnectionState() {
	case webrtc.ICEConnectionStateConnected, webrtc.ICEConnectionStateCompleted:
		return true
	}
	return false
}

// restartICE sends the server a new offer with fresh ICE credentials (an
// ICE restart), as server-sdk-go's RTCEngine does after a resume: the
// server answers on the signal connection (OnAnswer) and both sides gather
// and check candidates again, while DTLS, SCTP and the data channels carry
// on over the new pair. These are the steps of server-sdk-go's PCTransport
// restart (createAndSendOffer), in pion's exported API.
func (p *peerConn) restartICE() error {
	pc := p.transport.PeerConnection()
	if pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		// An offer of ours is still unanswered (an earlier restart): roll
		// back to the last answer, as server-sdk-go's PCTransport does, so a new offer can
		// be made.
		if cur := pc.CurrentRemoteDescription(); cur != nil {
			if err := pc.SetRemoteDescription(*cur); err != nil {
				return fmt.Errorf("rtc: ICE restart: reapply the last answer: %w", err)
			}
		}
	}
	offer, err := pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return fmt.Errorf("rtc: ICE restart: create offer: %w", err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("rtc: ICE restart: set local offer: %w", err)
	}
	if err := p.sendSignal(p.sig.SignalSdpOffer(protosignalling.ToProtoSessionDescription(offer, 0, nil))); err != nil {
		return fmt.Errorf("rtc: ICE restart: send offer: %w", err)
	}
	return nil
}
