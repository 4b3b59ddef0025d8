package memroom

import (
	"strings"
	"testing"
	"time"
)

// An option given a value it cannot use is an error from New naming the
// option, as in every lkrpc package; none is clamped silently.
func TestNewRefusesInvalidOptions(t *testing.T) {
	for _, c := range []struct {
		opt  Option
		name string
	}{
		{WithAnnounceDelay(-time.Second), "WithAnnounceDelay"},
		{WithSendBuffer(0, 0), "WithSendBuffer"},
		{WithSendBuffer(10, 11), "WithSendBuffer"},
		{WithSendBuffer(10, -1), "WithSendBuffer"},
		{WithLogger(nil), "WithLogger"},
	} {
		r, err := New(c.opt)
		if err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: New = %v, %v; want an error naming the option", c.name, r, err)
		}
	}
	r, err := New(WithAnnounceDelay(0), WithSendBuffer(1, 0), WithSendBuffer(10, 10))
	if err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	r.Close()
}

func TestJoinRefusesNegativeClientProtocol(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Join("alice", WithClientProtocol(-1)); err == nil {
		t.Fatal("a negative client protocol was accepted")
	}
	if _, err := r.Join("bob", WithClientProtocol(3)); err != nil {
		t.Fatalf("a newer client's protocol 3 was refused: %v", err)
	}
}
