package codec

import (
	"encoding/json"

	"google.golang.org/protobuf/proto"
)

// Codec encodes messages to payload strings and decodes them back.
// The implementations in this package are safe for concurrent use.
type Codec interface {
	// Name is "json" or "binary"; it appears in errors and reports.
	Name() string
	// Marshal encodes m. A nil message encodes as the empty message of no
	// particular type ("{}" in JSON, "" in binary).
	Marshal(m proto.Message) (string, error)
	// Unmarshal decodes payload into m, replacing its contents.
	Unmarshal(payload string, m proto.Message) error
}

// The codecs of this package.
var (
	JSON   Codec = jsonCodec{}
	Binary Codec = binaryCodec{}
)

// Detect returns the codec payload was encoded with: JSON when its first
// byte other than JSON whitespace is '{', '[', '"' or '-', none of which
// the base64 alphabet has; Binary otherwise, including the empty payload
// (the binary encoding of an empty message). A JSON object is what almost
// every message encodes to; the other three start the JSON forms of
// well-known types such as StringValue ("text"), Int64Value ("-5"),
// Duration ("3s") or ListValue ([…]).
func Detect(payload string) Codec {
	if IsJSON(payload) {
		return JSON
	}
	return Binary
}

// IsJSON reports whether payload's first byte other than JSON whitespace
// (space, tab, CR, LF) is '{', '[', '"' or '-'.
func IsJSON(payload string) bool {
	for i := 0; i < len(payload); i++ {
		switch payload[i] {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[', '"', '-':
			return true
		default:
			return false
		}
	}
	return false
}

// Unmarshal decodes payload into m with the codec Detect chooses, and
// returns the codec that decoded it so that a reply can use the same form.
//
// A few JSON values cannot be told from base64 by their first byte: the
// bare numbers, true, false and null that wrapper types and Value encode
// to. A payload Detect calls binary that does not decode as binary but is
// valid JSON is therefore decoded as JSON (base64 of real protobuf is
// almost never also valid JSON, and when it is, binary wins).
func Unmarshal(payload string, m proto.Message) (Codec, error) {
	c := Detect(payload)
	err := c.Unmarshal(payload, m)
	if err == nil || c == JSON || !json.Valid([]byte(payload)) {
		return c, err
	}
	if jerr := JSON.Unmarshal(payload, m); jerr != nil {
		return JSON, jerr
	}
	return JSON, nil
}
