package codec

import (
	"encoding/base64"
	"fmt"

	"google.golang.org/protobuf/proto"
)

// binaryCodec is the protobuf wire format in standard padded base64.
type binaryCodec struct{}

var (
	// Deterministic output keeps payloads of equal messages equal, which
	// makes wire captures and tests comparable; the cost is a map sort.
	binaryMarshal   = proto.MarshalOptions{Deterministic: true}
	binaryUnmarshal = proto.UnmarshalOptions{}
)

func (binaryCodec) Name() string { return "binary" }

func (binaryCodec) Marshal(m proto.Message) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := binaryMarshal.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("codec: encode %s as protobuf: %w", messageName(m), err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func (binaryCodec) Unmarshal(payload string, m proto.Message) error {
	b, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return fmt.Errorf("codec: payload is neither a JSON object nor standard base64 for %s: %w", messageName(m), err)
	}
	if err := binaryUnmarshal.Unmarshal(b, m); err != nil {
		return fmt.Errorf("codec: payload is not valid protobuf for %s: %w", messageName(m), err)
	}
	return nil
}
