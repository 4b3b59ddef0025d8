package lkserver

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// SignalProxy is a TCP relay in front of the server's signal port. A link
// that connects through its URL can have its signal connection cut as a
// network failure would (a TCP reset, no Leave on either side), while its
// data channel, which runs over UDP straight to the server, stays up: the
// case the participant link resumes from. Refuse makes the server look
// unreachable to later connection attempts, so a resume fails too.
type SignalProxy struct {
	URL string // ws:// address to connect links to instead of the server's

	srv    *Server
	ln     net.Listener
	target string

	mu     sync.Mutex
	conns  map[*net.TCPConn]struct{} // both halves of every open relay
	refuse bool

	wg sync.WaitGroup // the accept loop and every relay's copiers
}

// SignalProxy starts a relay to the server's signal port and stops it when
// the test ends.
func (s *Server) SignalProxy(t testing.TB) *SignalProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("signal proxy: %v", err)
	}
	p := &SignalProxy{
		URL:    "ws://" + ln.Addr().String(),
		srv:    s,
		ln:     ln,
		target: strings.TrimPrefix(s.URL, "ws://"),
		conns:  make(map[*net.TCPConn]struct{}),
	}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Cut resets every connection open through the proxy, both towards the
// link and towards the server, and returns how many relays it cut.
func (p *SignalProxy) Cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.SetLinger(0) // close with RST, as a dropped route or a proxy's reset does
		_ = c.Close()
	}
	n := len(p.conns) / 2
	clear(p.conns)
	return n
}

// Refuse makes the proxy reset new connections at once (on) or relay them
// again (off).
func (p *SignalProxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
}

// Relays is how many connections are open through the proxy now.
func (p *SignalProxy) Relays() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns) / 2
}

func (p *SignalProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			_ = c.(*net.TCPConn).SetLinger(0)
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.relay(c.(*net.TCPConn), up.(*net.TCPConn))
	}
}

// relay copies both ways until either side ends, then closes both.
func (p *SignalProxy) relay(down, up *net.TCPConn) {
	p.mu.Lock()
	p.conns[down], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	end := func() {
		p.mu.Lock()
		delete(p.conns, down)
		delete(p.conns, up)
		p.mu.Unlock()
		_ = down.Close()
		_ = up.Close()
	}
	var once sync.Once
	pipe := func(dst, src *net.TCPConn) {
		defer p.wg.Done()
		_, err := io.Copy(dst, src)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			_ = dst.SetLinger(0) // pass a reset on as a reset
		}
		once.Do(end)
	}
	p.wg.Add(2)
	go pipe(up, down)
	go pipe(down, up)
}

func (p *SignalProxy) close() {
	_ = p.ln.Close()
	p.Cut()
	p.wg.Wait()
}
