package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lkrpc/lkrpc/internal/methodspec"
	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/codec"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// callStream makes a server-streaming call and prints each message, as
// decode renders it, on its own line as it arrives.
func (c *callCmd) callStream(ctx context.Context, t lkrpc.Transport, call transport.StreamCall, decode func(string) (string, error), out io.Writer) error {
	st, ok := t.(transport.Streamer)
	if !ok {
		return usagef("%s streams its replies, which --via %s cannot carry: use --via room", call.Method, c.via)
	}
	replies, err := st.CallStream(ctx, call)
	if err != nil {
		return err
	}
	defer replies.Close()
	for {
		payload, err := replies.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		line, err := decode(payload)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(out, line); err != nil {
			return err
		}
	}
}

// callTypedStream encodes req in the method's codec and prints each reply
// message as one line of JSON.
func (c *callCmd) callTypedStream(ctx context.Context, t lkrpc.Transport, cat *catalog, md protoreflect.MethodDescriptor, spec methodspec.Spec, req proto.Message, out io.Writer) error {
	cdc := codec.JSON
	if c.codec == "binary" || (c.codec == "" && spec.Codec == lkrpcv1.Codec_CODEC_BINARY) {
		cdc = codec.Binary
	}
	payload, err := cdc.Marshal(req)
	if err != nil {
		return err
	}
	first := c.timeout
	if first == 0 {
		first = time.Duration(spec.TimeoutMillis) * time.Millisecond
	}
	call := transport.StreamCall{
		Destination: c.identity, Method: spec.WireName, Service: string(md.Parent().FullName()),
		Payload: payload, FirstTimeout: first, MaxMessageBytes: int(spec.MaxResponseBytes),
	}
	return c.callStream(ctx, t, call, func(p string) (string, error) {
		msg := cat.newMessage(md.Output())
		if _, err := codec.Unmarshal(p, msg); err != nil {
			return "", fmt.Errorf("a message of %s does not decode: %w", spec.WireName, err)
		}
		b, err := protojson.MarshalOptions{Resolver: cat.types}.Marshal(msg)
		if err != nil {
			return "", err
		}
		return compactRaw(string(b)), nil
	}, out)
}

// compactRaw prints a JSON payload on one line (protojson varies its
// spacing on purpose); anything else as it came.
func compactRaw(payload string) string {
	var b bytes.Buffer
	if payload != "" && json.Compact(&b, []byte(payload)) == nil {
		return b.String()
	}
	return payload
}
