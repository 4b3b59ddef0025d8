// Package codec turns protobuf messages into the UTF-8 payload strings that
// LiveKit participant RPC carries, and back.
//
// Two encodings exist:
//
//   - JSON: protojson. It is the default because a browser can call a Go
//     service with performRpc({payload: JSON.stringify(obj)}) and read the
//     reply with JSON.parse. Encoding uses protojson's defaults: field names
//     are the lowerCamelCase JSON names ("userId" for user_id), fields at
//     their zero value are omitted, 64-bit integers are JSON strings, enums
//     are their value names. Decoding discards unknown fields, so a handler
//     built from an older .proto accepts requests from newer callers. It
//     accepts the original proto field names ("user_id") as well as the JSON
//     names, as protojson always does: hand-written JavaScript uses either,
//     and refusing one would only make calls fail for no gain. The codec
//     writes and reads the common messages itself (scalars, strings, bytes,
//     enums, nested and repeated messages, Timestamp: fastjson.go): what
//     protojson writes (without the spaces protojson adds at random to keep
//     its output from being relied on byte for byte), and exactly what it
//     reads, at a fraction of its cost; any other message, and any payload
//     it does not read exactly as protojson would, is protojson's whole.
//   - Binary: the protobuf wire format in standard, padded base64
//     (base64.StdEncoding). Payload strings must be valid UTF-8, so raw
//     protobuf bytes cannot travel as they are; base64 costs a third more
//     bytes but is still usually smaller, and much faster, than JSON.
//
// A receiver does not need to be told which encoding a payload uses: a JSON
// object starts with '{' (after optional whitespace) and base64 never contains
// '{'. Detect makes that choice (also taking '[', '"' and '-' as JSON, for
// well-known types whose JSON form is not an object), and Unmarshal falls
// back to JSON for bare JSON numbers, true, false and null. The empty
// payload is base64 for the empty message, so it decodes to an empty
// message whichever codec a method uses.
package codec
