package runtime

import (
	"fmt"

	"github.com/lkrpc/lkrpc/runtime/codec"
)

// String returns "default", "json" or "binary".
func (n CodecName) String() string {
	switch n {
	case CodecDefault:
		return "default"
	case CodecJSON:
		return "json"
	case CodecBinary:
		return "binary"
	}
	return fmt.Sprintf("codec(%d)", int(n))
}

// codec returns the codec n names; CodecDefault means JSON.
func (n CodecName) codec() (codec.Codec, error) {
	switch n {
	case CodecDefault, CodecJSON:
		return codec.JSON, nil
	case CodecBinary:
		return codec.Binary, nil
	}
	return nil, fmt.Errorf("lkrpc: unknown codec %s", n)
}

// codecNameOf is the inverse of CodecName.codec.
func codecNameOf(c codec.Codec) CodecName {
	if c == codec.Binary {
		return CodecBinary
	}
	return CodecJSON
}
