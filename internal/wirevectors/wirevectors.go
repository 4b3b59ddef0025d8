// Package wirevectors holds the RPC wire vectors: DataPackets encoded by
// @livekit/protocol 1.45.8 (the version livekit-client 2.19.0 pins), as hex
// of their protobuf bytes, in rpc_packets.json beside this file. Tests in
// several packages (the conformance suite, the engine's datastream package)
// compare what lkrpc emits and parses with them.
//
// The file is embedded (go:embed) rather than read from disk so that any
// test package can load it by importing this one: a path relative to each
// test's directory (../../testdata/…, ../../../testdata/…) would differ per
// package and break whenever a package moves, and there is exactly one copy
// of the vectors. The package is internal and imported only by tests, so
// the bytes never reach a program's binary.
//
// protobuf-go writes oneof fields after field 16 (sequence) and may order
// map entries differently from @livekit/protocol, so compare decoded
// packets with proto.Equal, not bytes.
package wirevectors

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

// File is rpc_packets.json as committed.
//
//go:embed rpc_packets.json
var File []byte

// The inputs every vector was encoded with.
const (
	RequestID = "11111111-2222-4333-8444-555555555555"
	StreamID  = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	Timestamp = 1760000000000 // unix ms, the stream headers' timestamp
	Caller    = "alice"
	Handler   = "bob"
	Method    = "echo"
)

// Vector is one entry of the file.
type Vector struct {
	Hex  string `json:"hex"`  // the packet's protobuf bytes
	What string `json:"what"` // what the packet is
}

// Vectors returns every vector by name (v1_request, ack, v2_request_header…).
func Vectors() (map[string]Vector, error) {
	var file struct {
		Vectors map[string]Vector `json:"vectors"`
	}
	if err := json.Unmarshal(File, &file); err != nil {
		return nil, fmt.Errorf("wirevectors: %w", err)
	}
	return file.Vectors, nil
}

// Names returns the vectors' names, sorted.
func Names() ([]string, error) {
	vs, err := Vectors()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(vs))
	for name := range vs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// Packets returns every vector decoded, by name. Each call returns new
// packets, which the caller may modify.
func Packets() (map[string]*livekit.DataPacket, error) {
	vs, err := Vectors()
	if err != nil {
		return nil, err
	}
	out := make(map[string]*livekit.DataPacket, len(vs))
	for name, v := range vs {
		pkt, err := decode(name, v)
		if err != nil {
			return nil, err
		}
		out[name] = pkt
	}
	return out, nil
}

// Packet returns the vector name decoded.
func Packet(name string) (*livekit.DataPacket, error) {
	vs, err := Vectors()
	if err != nil {
		return nil, err
	}
	v, ok := vs[name]
	if !ok {
		return nil, fmt.Errorf("wirevectors: no vector %q", name)
	}
	return decode(name, v)
}

func decode(name string, v Vector) (*livekit.DataPacket, error) {
	b, err := hex.DecodeString(v.Hex)
	if err != nil {
		return nil, fmt.Errorf("wirevectors: %s: %w", name, err)
	}
	pkt := &livekit.DataPacket{}
	if err := proto.Unmarshal(b, pkt); err != nil {
		return nil, fmt.Errorf("wirevectors: %s: %w", name, err)
	}
	return pkt, nil
}
