package discovery

import (
	"slices"
	"strings"
	"testing"
)

func TestFormatSortsAndDeduplicates(t *testing.T) {
	got, err := Format([]string{"greet.v1.Greeter", "example.agent.v1.VoiceAgent", "greet.v1.Greeter"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "example.agent.v1.VoiceAgent,greet.v1.Greeter"; got != want {
		t.Fatalf("Format = %q, want %q", got, want)
	}
	if got, err := Format(nil); err != nil || got != "" {
		t.Fatalf("Format(nil) = %q, %v; want \"\", nil", got, err)
	}
}

func TestFormatRefusesBadNames(t *testing.T) {
	for _, bad := range []string{"", "a,b", "greet..Greeter", ".Greeter", "greet.1v.Greeter", "greet v1"} {
		if _, err := Format([]string{bad}); err == nil {
			t.Errorf("Format(%q) succeeded", bad)
		}
	}
}

func TestFormatEnforcesMaxBytes(t *testing.T) {
	var services []string
	for i := 0; len(strings.Join(services, ",")) <= MaxBytes; i++ {
		services = append(services, "pkg.v1.Service"+strings.Repeat("x", 40)+string(rune('a'+i%26))+strings.Repeat("y", i/26))
	}
	if _, err := Format(services); err == nil || !strings.Contains(err.Error(), "4096-byte limit") {
		t.Fatalf("Format of %d bytes: err = %v, want the limit named", len(strings.Join(services, ",")), err)
	}
	if _, err := Format(services[:len(services)-1]); err != nil {
		t.Fatalf("Format just under the limit: %v", err)
	}
}

func TestParseRoundTripsAndSkipsJunk(t *testing.T) {
	value, _ := Format([]string{"b.B", "a.A"})
	if got := Parse(value); !slices.Equal(got, []string{"a.A", "b.B"}) {
		t.Fatalf("Parse(%q) = %v", value, got)
	}
	if got := Parse(" a.A , ,not a name,9x,b.B"); !slices.Equal(got, []string{"a.A", "b.B"}) {
		t.Fatalf("Parse of junk = %v", got)
	}
	attrs := map[string]string{Attribute: value, "other": "x.Y"}
	if !Serves(attrs, "a.A") || Serves(attrs, "x.Y") || Serves(nil, "a.A") {
		t.Fatal("Serves reads the wrong attribute")
	}
}
