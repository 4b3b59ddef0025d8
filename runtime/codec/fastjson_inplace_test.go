package codec

import (
	"math/rand/v2"
	"testing"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Generated messages with Timestamp fields, which the fast paths reach in
// place: a proto3 one, and one whose second Timestamp is proto3 optional.
func inPlaceSamples(rng *rand.Rand) []proto.Message {
	ts := func() *timestamppb.Timestamp {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			return &timestamppb.Timestamp{}
		}
		return &timestamppb.Timestamp{Seconds: sampleSeconds[rng.IntN(len(sampleSeconds))], Nanos: sampleNanos[rng.IntN(len(sampleNanos))]}
	}
	return []proto.Message{
		&livekit.MetricSample{TimestampMs: int64(rng.IntN(3)), NormalizedTimestamp: ts(), Value: float32(rng.IntN(2)) / 2},
		&livekit.EventMetric{Label: uint32(rng.IntN(2)), NormalizedStartTimestamp: ts(), NormalizedEndTimestamp: ts(), Metadata: "m"},
	}
}

func TestTimestampFieldsInPlaceAreFound(t *testing.T) {
	for _, c := range []struct {
		m      proto.Message
		fields []string
	}{
		{&livekit.MetricSample{}, []string{"normalized_timestamp"}},
		{&livekit.EventMetric{}, []string{"normalized_start_timestamp", "normalized_end_timestamp"}},
		{&timestamppb.Timestamp{}, nil},
	} {
		md := c.m.ProtoReflect().Descriptor()
		f := planOf(md).timestamps
		var found []string
		if f != nil {
			for i, off := range f.offsets {
				if off != 0 {
					found = append(found, string(md.Fields().Get(i).Name()))
				}
			}
		}
		if len(found) != len(c.fields) || (len(found) > 0 && (found[0] != c.fields[0] || found[len(found)-1] != c.fields[len(c.fields)-1])) {
			t.Errorf("%s: in place %v, want %v", md.FullName(), found, c.fields)
		}
		if f == nil {
			continue
		}
		if f.at(c.m) == nil {
			t.Errorf("%s: no address for a generated message", md.FullName())
		}
		if f.at(dynamicpb.NewMessage(md)) != nil || f.at(c.m.ProtoReflect().Type().Zero().Interface()) != nil {
			t.Errorf("%s: an address for a dynamic message or a nil pointer", md.FullName())
		}
	}
}

// In place or through reflection, the fast paths write and read what
// protojson does.
func TestTimestampFieldsInPlaceMatchProtojson(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 2000 {
		for _, m := range inPlaceSamples(rng) {
			got, gerr := JSON.Marshal(m)
			want, werr := strictJSON.Marshal(m)
			if (gerr == nil) != (werr == nil) || (werr == nil && got != compact(t, want)) {
				t.Fatalf("#%d %v: fast %s (%v), protojson %s (%v)", i, m, got, gerr, want, werr)
			}
			if werr != nil {
				continue
			}
			// Through reflection (a dynamic message), as a nested message is.
			dyn := dynamicpb.NewMessage(m.ProtoReflect().Descriptor())
			proto.Merge(dyn, m)
			if viaReflection, ok := appendMessageJSON(nil, dyn, planOf(dyn.Descriptor()), nil, 0); !ok || string(viaReflection) != got {
				t.Fatalf("#%d: in place %s, through reflection %s (%v)", i, got, viaReflection, ok)
			}
			back := m.ProtoReflect().Type().New().Interface()
			if err := JSON.Unmarshal(got, back); err != nil || !proto.Equal(back, m) {
				t.Fatalf("#%d: %s decodes to %v (%v), want %v", i, got, back, err, m)
			}
		}
	}
	for _, payload := range []string{
		`{"normalizedTimestamp":"2026-11-24T05:00:00.123456Z","value":0.5}`, `{"normalized_timestamp":"1970-01-01T00:00:00Z"}`,
		`{"normalizedTimestamp":null}`, `{"normalizedTimestamp":"2026-11-24T05:00:00+01:00"}`, `{"normalizedTimestamp":"x"}`,
		`{"normalizedTimestamp":"0000-01-01T00:00:00Z"}`, `{"normalizedTimestamp":1}`, `{"normalizedTimestamp":"2026-11-24T05:00:00Z","normalizedTimestamp":"2026-11-24T05:00:00Z"}`,
	} {
		m := &livekit.MetricSample{Value: 3, NormalizedTimestamp: &timestamppb.Timestamp{Seconds: 9}}
		err := JSON.Unmarshal(payload, m)
		want := &livekit.MetricSample{}
		werr := readJSON.Unmarshal([]byte(payload), want)
		if (err == nil) != (werr == nil) || (werr == nil && !proto.Equal(m, want)) {
			t.Fatalf("%s: decodes to %v (%v), protojson %v (%v)", payload, m, err, want, werr)
		}
	}
}
