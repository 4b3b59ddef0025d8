package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/wrapperspb"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	"github.com/lkrpc/lkrpc/internal/leakcheck"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/discovery"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

// Registering and unregistering on the in-memory room: the discovery
// attribute as another Conn sees it.

// serviceDesc serves method name of service with greet.
func serviceDesc(service, name string) lkrpc.HandlerDesc {
	return stringDesc(&lkrpc.Method{Name: service + "/" + name, Service: service}, greet)
}

// attribute is the discovery attribute of identity as c sees it, and
// whether the key is there at all.
func attribute(c *lkrpc.Conn, identity string) (string, bool) {
	p, _ := c.Participant(identity)
	v, ok := p.Attributes[discovery.Attribute]
	return v, ok
}

// eventually waits up to 2 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 2 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitServes(t *testing.T, c *lkrpc.Conn, identity, service string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := c.WaitServes(ctx, identity, service); err != nil {
		t.Fatal(err)
	}
}

func TestRegisterAdvertisesAndUnregisterRemoves(t *testing.T) {
	alice, bob := connPair(t, quietLogger())
	if alice.Serves("bob", agentv1.VoiceAgentServiceName) {
		t.Fatal("bob serves VoiceAgent before registering it")
	}
	unregister, err := agentv1.RegisterVoiceAgentHandler(bob, voiceAgent{})
	if err != nil {
		t.Fatal(err)
	}
	waitServes(t, alice, "bob", agentv1.VoiceAgentServiceName)
	if v, _ := attribute(alice, "bob"); v != agentv1.VoiceAgentServiceName {
		t.Fatalf("attribute = %q, want %q", v, agentv1.VoiceAgentServiceName)
	}
	if alice.Serves("bob", "example.agent.v1.Other") || alice.Serves("carol", agentv1.VoiceAgentServiceName) {
		t.Fatal("Serves says yes to a service or participant it should not")
	}
	unregister()
	eventually(t, "the attribute deleted after unregister", func() bool {
		_, present := attribute(alice, "bob")
		return !present // deleted, not left empty
	})
	if alice.Serves("bob", agentv1.VoiceAgentServiceName) {
		t.Fatal("bob still serves VoiceAgent after unregistering")
	}
}

func TestTwoServicesAreBothAdvertised(t *testing.T) {
	alice, bob := connPair(t, quietLogger())
	mustRegister(t, bob, []lkrpc.HandlerDesc{serviceDesc("test.v1.Zeta", "A")})
	unregister, err := lkrpc.Register(bob, []lkrpc.HandlerDesc{serviceDesc("test.v1.Alpha", "A"), serviceDesc("test.v1.Alpha", "B")})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "both services advertised, sorted, once each", func() bool {
		v, _ := attribute(alice, "bob")
		return v == "test.v1.Alpha,test.v1.Zeta"
	})
	unregister()
	eventually(t, "only test.v1.Zeta left", func() bool {
		v, _ := attribute(alice, "bob")
		return v == "test.v1.Zeta"
	})
}

// Advertising counts registrations: a service registered twice (two
// registrations of different methods) stays advertised until both are gone.
func TestSameServiceTwiceStaysUntilTheLastUnregister(t *testing.T) {
	alice, bob := connPair(t, quietLogger())
	first, err := lkrpc.Register(bob, []lkrpc.HandlerDesc{serviceDesc("test.v1.Echo", "A")})
	if err != nil {
		t.Fatal(err)
	}
	second, err := lkrpc.Register(bob, []lkrpc.HandlerDesc{serviceDesc("test.v1.Echo", "B")})
	if err != nil {
		t.Fatal(err)
	}
	waitServes(t, alice, "bob", "test.v1.Echo")
	first()
	first() // unregistering twice withdraws once
	// A change that did not happen cannot be waited for: give the publisher
	// time to publish a wrong value, then look.
	time.Sleep(100 * time.Millisecond)
	if !alice.Serves("bob", "test.v1.Echo") {
		t.Fatal("test.v1.Echo withdrawn while a registration of it remains")
	}
	second()
	eventually(t, "test.v1.Echo withdrawn with its last registration", func() bool {
		return !alice.Serves("bob", "test.v1.Echo")
	})
}

// A registration the attribute has no room for fails before anything is
// registered or advertised, with an error naming the limit.
func TestRegisterOverTheLimitRegistersNothing(t *testing.T) {
	alice, bob := connPair(t, quietLogger())
	var descs []lkrpc.HandlerDesc
	for i := range 9 { // 9 names of 500 bytes: over 4096
		descs = append(descs, serviceDesc(fmt.Sprintf("big.v1.S%d%s", i, strings.Repeat("x", 490)), "M"))
	}
	unregister, err := lkrpc.Register(bob, descs)
	if err == nil {
		unregister()
		t.Fatal("Register of 4.5 KB of service names succeeded")
	}
	if !strings.Contains(err.Error(), "4096-byte limit") || !strings.Contains(err.Error(), discovery.Attribute) {
		t.Fatalf("error %q does not name the limit and the attribute", err)
	}
	err = lkrpc.NewClient(alice, "bob").Invoke(t.Context(), descs[0].Method, wrapperspb.String("x"), new(wrapperspb.StringValue))
	wantCode(t, err, lkrpc.UnsupportedMethod) // its first method was not registered
	// The refused services never reach the attribute; one that fits still can.
	mustRegister(t, bob, []lkrpc.HandlerDesc{serviceDesc("test.v1.Echo", "A")})
	waitServes(t, alice, "bob", "test.v1.Echo")
	if v, _ := attribute(alice, "bob"); v != "test.v1.Echo" {
		t.Fatalf("attribute = %q, want only test.v1.Echo", v)
	}
}

// refusingLink is a memroom participant whose attribute updates the room
// refuses, as a real room refuses a token without canUpdateOwnMetadata.
type refusingLink struct {
	*memroom.Link
	tries atomic.Int32
}

func (l *refusingLink) SetAttributes(context.Context, map[string]string) error {
	l.tries.Add(1)
	return fmt.Errorf("test: no permission: %w", link.ErrAttributesRefused)
}

func TestRefusedAdvertisingWarnsOnceAndServes(t *testing.T) {
	room := newRoom(t)
	ml, err := room.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	refusing := &refusingLink{Link: ml}
	var log logBuffer
	bob, err := lkrpc.ConnectLink(refusing, lkrpc.WithLogger(log.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	alice, err := lkrpc.ConnectMemory(room, "alice", lkrpc.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()

	mustRegister(t, bob, []lkrpc.HandlerDesc{serviceDesc("test.v1.Echo", "Greet")})
	eventually(t, "the first update tried", func() bool { return refusing.tries.Load() == 1 })
	mustRegister(t, bob, []lkrpc.HandlerDesc{serviceDesc("test.v1.Other", "Greet")})
	eventually(t, "the second update tried", func() bool { return refusing.tries.Load() == 2 })

	reply := new(wrapperspb.StringValue)
	m := &lkrpc.Method{Name: "test.v1.Echo/Greet"}
	if err := lkrpc.NewClient(alice, "bob").Invoke(t.Context(), m, wrapperspb.String("ada"), reply); err != nil {
		t.Fatalf("call while advertising fails: %v", err)
	}
	if reply.GetValue() != "hello, ada" {
		t.Fatalf("reply %q", reply.GetValue())
	}
	logged := log.String()
	if n := strings.Count(logged, "could not advertise"); n != 1 || !strings.Contains(logged, "level=WARN") {
		t.Fatalf("want one warning for two refused updates, got %d:\n%s", n, logged)
	}
	if !strings.Contains(logged, "no permission") {
		t.Fatalf("the warning does not carry the room's reason:\n%s", logged)
	}
}

// countingLink counts attribute updates.
type countingLink struct {
	*memroom.Link
	updates atomic.Int32
}

func (l *countingLink) SetAttributes(ctx context.Context, attrs map[string]string) error {
	l.updates.Add(1)
	return l.Link.SetAttributes(ctx, attrs)
}

func TestWithDiscoveryFalseAdvertisesNothing(t *testing.T) {
	room := newRoom(t)
	ml, err := room.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingLink{Link: ml}
	bob, err := lkrpc.ConnectLink(counting, lkrpc.WithDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	mustRegister(t, bob, []lkrpc.HandlerDesc{serviceDesc("test.v1.Echo", "A")})
	time.Sleep(50 * time.Millisecond)
	if n := counting.updates.Load(); n != 0 {
		t.Fatalf("%d attribute updates with WithDiscovery(false)", n)
	}
}

// The publisher is one goroutine per Conn, and Close ends it, also while an
// update is in flight.
func TestCloseEndsAdvertising(t *testing.T) {
	before := goleak.IgnoreCurrent()
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	ml, err := room.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	stuck := &blockingLink{Link: ml, entered: make(chan struct{}, 1)}
	bob, err := lkrpc.ConnectLink(stuck, lkrpc.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lkrpc.Register(bob, []lkrpc.HandlerDesc{serviceDesc("test.v1.Echo", "A")}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stuck.entered:
	case <-time.After(2 * time.Second):
		t.Fatal("no attribute update within 2 s of Register")
	}
	if err := bob.Close(); err != nil {
		t.Fatal(err)
	}
	room.Close()
	leakcheck.Verify(t, 2*time.Second, before)
}

// blockingLink's attribute updates wait for their ctx: an update whose
// answer never comes.
type blockingLink struct {
	*memroom.Link
	entered chan struct{}
}

func (l *blockingLink) SetAttributes(ctx context.Context, _ map[string]string) error {
	l.entered <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func TestWaitServesEndsWithCtxAndConn(t *testing.T) {
	alice, _ := connPair(t, quietLogger())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	if err := alice.WaitServes(ctx, "bob", "test.v1.Echo"); err == nil || !strings.Contains(err.Error(), "test.v1.Echo") {
		t.Fatalf("WaitServes for a service never advertised = %v, want ctx's error naming the service", err)
	}
	go func() { time.Sleep(20 * time.Millisecond); alice.Close() }()
	if err := alice.WaitServes(t.Context(), "bob", "test.v1.Echo"); err == nil {
		t.Fatal("WaitServes went on after Close")
	}
}
