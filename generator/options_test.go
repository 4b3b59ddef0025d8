package generator

import (
	"strings"
	"testing"
)

func TestValidateWireName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string // "" for valid
	}{
		{"example.v1.Greeter/SayHello", ""},
		{"ping", ""},
		{"grüße", ""},
		{strings.Repeat("x", MaxWireNameBytes), ""},
		{strings.Repeat("é", MaxWireNameBytes/2), ""}, // 254 bytes
		{"", "empty wire name"},
		{strings.Repeat("x", MaxWireNameBytes+1), "wire name is 256 bytes long, more than 255"},
		{"bad\xff", `wire name "bad\xff" is not valid UTF-8`},
		{"tab\there", `wire name "tab\there" contains control character U+0009`},
		{"del\x7f", `wire name "del\x7f" contains control character U+007F`},
		{"c1\u0085", `wire name "c1\u0085" contains control character U+0085`},
	}
	for _, tc := range tests {
		err := validateWireName(tc.name)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("validateWireName(%q) = %v, want nil", tc.name, err)
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
			t.Errorf("validateWireName(%q) = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestFirstNonZero(t *testing.T) {
	if got := firstNonZero[uint32](0, 5, 7); got != 5 {
		t.Errorf("firstNonZero(0, 5, 7) = %d, want 5", got)
	}
	if got := firstNonZero[uint32](0, 0); got != 0 {
		t.Errorf("firstNonZero(0, 0) = %d, want 0", got)
	}
}
