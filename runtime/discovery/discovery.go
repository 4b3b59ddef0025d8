// Package discovery is the participant attribute in which an lkrpc
// participant advertises the protobuf services it serves, so that a caller,
// the lkrpc command and a TypeScript peer can tell what a participant offers
// before calling it.
//
// The attribute's key is Attribute ("lkrpc.services"). Its value lists the
// full names of the services, sorted, without repeats, joined by commas:
//
//	example.agent.v1.VoiceAgent,greet.v1.Greeter
//
// A registration adds its services and unregistering removes them; when none
// is left the attribute is deleted (set to "", which LiveKit treats as a
// removal). The value is at most MaxBytes long: a registration that would make
// it longer fails. Publishing it needs a token with canUpdateOwnMetadata.
package discovery

import (
	"fmt"
	"slices"
	"strings"
)

// Attribute is the key of the discovery attribute.
const Attribute = "lkrpc.services"

// MaxBytes bounds the attribute's value: about a hundred services.
const MaxBytes = 4096

// Format is the attribute value that advertises services: sorted, without
// repeats, comma-joined; "" for none. It fails on a name that is not a full
// protobuf name and on a value longer than MaxBytes.
func Format(services []string) (string, error) {
	for _, s := range services {
		if !validName(s) {
			return "", fmt.Errorf("discovery: %q is not a full protobuf service name", s)
		}
	}
	sorted := slices.Clone(services)
	slices.Sort(sorted)
	value := strings.Join(slices.Compact(sorted), ",")
	if len(value) > MaxBytes {
		return "", fmt.Errorf("discovery: advertising %d services takes %d bytes, over the %d-byte limit of the %s attribute",
			len(slices.Compact(sorted)), len(value), MaxBytes, Attribute)
	}
	return value, nil
}

// Parse lists the services an attribute value advertises, skipping entries
// that are not full protobuf names (a value written by something else).
func Parse(value string) []string {
	var services []string
	for s := range strings.SplitSeq(value, ",") {
		if s = strings.TrimSpace(s); validName(s) {
			services = append(services, s)
		}
	}
	return services
}

// Services lists the services a participant with attrs advertises.
func Services(attrs map[string]string) []string { return Parse(attrs[Attribute]) }

// Serves reports whether a participant with attrs advertises service.
func Serves(attrs map[string]string, service string) bool {
	return slices.Contains(Services(attrs), service)
}

// validName reports whether s is a full protobuf name: dot-separated
// identifiers of letters, digits and underscores, none starting with a digit.
func validName(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if part == "" || (part[0] >= '0' && part[0] <= '9') {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}
