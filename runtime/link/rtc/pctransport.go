package rtc

import (
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/livekit/protocol/logger"
	"github.com/livekit/protocol/logger/pionlogger"
	lksdp "github.com/livekit/protocol/sdp"
	ptransport "github.com/pion/transport/v4"
	"github.com/pion/transport/v4/stdnet"
	"github.com/pion/webrtc/v4"
)

// The peer connection's timing, as server-sdk-go v2.18.1's NewPCTransport
// sets it (recovery.go's figures depend on the ICE timeouts).
const (
	dtlsRetransmissionInterval = 100 * time.Millisecond
	iceDisconnectedTimeout     = 10 * time.Second
	iceFailedTimeout           = 5 * time.Second
	iceKeepaliveInterval       = 2 * time.Second
)

// UDPReadBuffer is the receive buffer (SO_RCVBUF) the link asks for on its
// UDP sockets; Linux grants at most net.core.rmem_max (and doubles what it
// grants for its own bookkeeping). The default, net.core.rmem_default
// (208 KiB on most systems), holds about a hundred of the SFU's datagrams:
// when the SFU sends a large stream at the pace its congestion window
// allows, a briefly descheduled reader overflows it, the kernel drops
// datagrams, and SCTP's retransmissions and halved window slow the
// transfer. In bench/rpc row 2's 10 MiB Go↔browser round trips the link's
// socket dropped 200–600 datagrams per run with the default and none with
// this; the browser's 7.5 MB reply reached Go 5–14 % sooner (medians of
// 4–5 samples, both buffers side by side in two runs). Chromium's own
// sockets still drop (1000–2500 per run), which lkrpc cannot change.
const UDPReadBuffer = 4 << 20

// pionLogs is where pion's logs go: SetSDKLogger's logger, else the
// standard library's log package (as server-sdk-go's default logger does).
var pionLogs atomic.Pointer[logger.Logger]

func pionLogger() logger.Logger {
	if l := pionLogs.Load(); l != nil {
		return *l
	}
	return logger.LogRLogger(funcr.New(func(prefix, args string) { log.Println(prefix, args) }, funcr.Options{}))
}

// pcTransport is the link's peer connection with what server-sdk-go's
// PCTransport did for it: remote candidates held until a remote description
// is set, an ICE-restart offer from the server held while we gather, and a
// callback once a remote description is applied. It replaces PCTransport
// because that builds its webrtc.API (and so its SettingEngine) itself,
// where the link needs larger UDP receive buffers (UDPReadBuffer). No media
// is sent or received: the MediaEngine has the default codecs only so that
// an offer with media sections could still be answered, and there are no
// interceptors.
type pcTransport struct {
	pc  *webrtc.PeerConnection
	log logger.Logger

	mu                  sync.Mutex
	pendingCandidates   []webrtc.ICECandidateInit
	iceCredential       string                     // of the last remote offer applied
	pendingRestartOffer *webrtc.SessionDescription // a restart offer that came while gathering
	onSettled           func() error
}

func newPCTransport(log logger.Logger) (*pcTransport, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetDTLSRetransmissionInterval(dtlsRetransmissionInterval)
	se.SetICETimeouts(iceDisconnectedTimeout, iceFailedTimeout, iceKeepaliveInterval)
	if lf := pionlogger.NewLoggerFactory(pionLogger()); lf != nil {
		se.LoggerFactory = lf
	}
	if n, err := stdnet.NewNet(); err == nil {
		se.SetNet(&bufferedNet{Net: n, readBuffer: UDPReadBuffer, log: log})
	} else {
		log.Debugw("UDP receive buffers left at the system default", "error", err)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	t := &pcTransport{pc: pc, log: log}
	pc.OnICEGatheringStateChange(t.onGatheringState)
	return t, nil
}

func (t *pcTransport) PeerConnection() *webrtc.PeerConnection { return t.pc }

func (t *pcTransport) SetConfiguration(cfg webrtc.Configuration) error {
	return t.pc.SetConfiguration(cfg)
}

func (t *pcTransport) Close() error { return t.pc.Close() }

// GetLocalOffer creates (and does not set) an offer.
func (t *pcTransport) GetLocalOffer() (webrtc.SessionDescription, error) {
	return t.pc.CreateOffer(nil)
}

// OnRemoteDescriptionSettled sets what runs after each remote description
// is applied, its error being SetRemoteDescription's.
func (t *pcTransport) OnRemoteDescriptionSettled(f func() error) {
	t.mu.Lock()
	t.onSettled = f
	t.mu.Unlock()
}

// AddICECandidate adds a remote candidate, or holds it until a remote
// description is set.
func (t *pcTransport) AddICECandidate(c webrtc.ICECandidateInit) error {
	t.mu.Lock()
	if t.pc.RemoteDescription() == nil {
		t.pendingCandidates = append(t.pendingCandidates, c)
		t.mu.Unlock()
		return nil
	}
	t.mu.Unlock()
	return t.pc.AddICECandidate(c)
}

// SetRemoteDescription applies the server's answer or offer, then the
// candidates held for it. An offer that restarts ICE while we are still
// gathering is applied once gathering completes.
func (t *pcTransport) SetRemoteDescription(sd webrtc.SessionDescription) error {
	t.mu.Lock()
	var cred string
	restart := false
	if sd.Type == webrtc.SDPTypeOffer {
		parsed, err := sd.Unmarshal()
		if err != nil {
			t.mu.Unlock()
			return err
		}
		user, pwd, err := lksdp.ExtractICECredential(parsed)
		if err != nil {
			t.mu.Unlock()
			return err
		}
		cred = user + ":" + pwd
		restart = t.iceCredential != "" && t.iceCredential != cred
	}
	if restart && t.pc.ICEGatheringState() == webrtc.ICEGatheringStateGathering {
		t.pendingRestartOffer = &sd
		t.mu.Unlock()
		return nil
	}
	if err := t.pc.SetRemoteDescription(sd); err != nil {
		t.mu.Unlock()
		return err
	}
	if cred != "" && (t.iceCredential == "" || restart) {
		t.iceCredential = cred
	}
	pending := t.pendingCandidates
	t.pendingCandidates = nil
	for _, c := range pending {
		if err := t.pc.AddICECandidate(c); err != nil {
			t.mu.Unlock()
			return err
		}
	}
	settled := t.onSettled
	t.mu.Unlock()
	if settled != nil {
		return settled()
	}
	return nil
}

func (t *pcTransport) onGatheringState(s webrtc.ICEGatheringState) {
	if s != webrtc.ICEGatheringStateComplete {
		return
	}
	t.mu.Lock()
	offer := t.pendingRestartOffer
	t.pendingRestartOffer = nil
	t.mu.Unlock()
	if offer == nil {
		return
	}
	go func() {
		if err := t.SetRemoteDescription(*offer); err != nil {
			t.log.Warnw("could not apply the server's ICE-restart offer", err)
		}
	}()
}

// bufferedNet is pion's network with larger receive buffers on the UDP
// sockets ICE opens (UDPReadBuffer).
type bufferedNet struct {
	*stdnet.Net
	readBuffer int
	log        logger.Logger
}

func (n *bufferedNet) ListenUDP(network string, laddr *net.UDPAddr) (ptransport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err == nil {
		n.grow(c)
	}
	return c, err
}

func (n *bufferedNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err == nil {
		n.grow(c)
	}
	return c, err
}

// grow enlarges c's receive buffer when c is a UDP socket.
func (n *bufferedNet) grow(c any) {
	u, ok := c.(*net.UDPConn)
	if !ok {
		return
	}
	if err := u.SetReadBuffer(n.readBuffer); err != nil {
		n.log.Debugw("could not enlarge a UDP receive buffer", "error", err)
	}
}
