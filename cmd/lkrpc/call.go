package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/internal/methodspec"
	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/link/roomservice"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

const callHelp = `Usage: lkrpc call [flags] <identity> <method> [json | @file | -]

Calls method on the participant identity in --room and prints the reply.
The request is the JSON given, the contents of @file, or standard input
(-); none sends an empty request.

Without descriptors the method is a wire name and the payload goes as
given (raw). With --proto or --descriptor-set the method may be named as
in the .proto (example.agent.v1.VoiceAgent.Summarize, VoiceAgent/Summarize,
or Summarize when only one service has it) or by its wire name; the
request is checked against the method's input message (unknown fields
are errors here), sent in the method's codec, and the reply is decoded
and printed as JSON. A method that streams its replies prints each
message as it arrives, one JSON object per line (give --stream for one
without descriptors).

By default the command joins the room as a participant (lkrpc-cli-…),
which carries payloads of any size. --via api calls through the server's
RoomService API without joining: RPC v1, at most 15360 bytes each way.

Flags:
`

// callCmd is the call command's configuration.
type callCmd struct {
	server
	timeout       time.Duration
	codec         string
	protos        stringList
	importPaths   stringList
	descriptorSet string
	via           string
	progress      string
	verbose       bool
	stream        bool

	identity, method, payloadArg string
}

func (c *callCmd) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	c.addFlags(fs)
	fs.DurationVar(&c.timeout, "timeout", 0, "response `timeout` (default: the method's, else 10s)")
	fs.StringVar(&c.codec, "codec", "", "request codec: json or binary (default: the method's, else json)")
	fs.Var(&c.protos, "proto", "a .proto `file` describing the service (repeatable)")
	fs.Var(&c.importPaths, "I", "import `path` for --proto files (repeatable)")
	fs.StringVar(&c.descriptorSet, "descriptor-set", "", "a FileDescriptorSet `file` (buf build -o x.binpb) describing the service")
	fs.StringVar(&c.via, "via", "room", "how to call: room (join as a participant) or api (RoomService, no join, 15360 bytes at most)")
	fs.StringVar(&c.progress, "progress", "auto", "progress bars, counting bytes on the wire (compressed when compressed): auto (on a terminal, 256 KiB and more), always or never")
	fs.StringVar(&c.server.identity, "identity", "", "identity to join as (default lkrpc-cli-<random>)")
	fs.BoolVar(&c.verbose, "v", false, "report how the payloads travelled")
	fs.BoolVar(&c.stream, "stream", false, "the method streams its replies (without descriptors; with them the .proto says so)")
	return fs
}

// runCall is the call command.
func runCall(ctx context.Context, args []string, io_ stdio, getenv func(string) string) error {
	c := &callCmd{}
	fs := c.flags()
	pos, err := parseFlags(fs, args, callHelp, io_.stderr)
	if err != nil {
		return err
	}
	if len(pos) < 2 || len(pos) > 3 {
		return usagef("call wants <identity> <method> [json | @file | -]; see lkrpc call -h")
	}
	c.identity, c.method = pos[0], pos[1]
	if len(pos) == 3 {
		c.payloadArg = pos[2]
	}
	return c.run(ctx, io_, getenv)
}

func (c *callCmd) run(ctx context.Context, io_ stdio, getenv func(string) string) error {
	if c.via != "room" && c.via != "api" {
		return usagef("--via %q: want room or api", c.via)
	}
	if c.progress != "auto" && c.progress != "always" && c.progress != "never" {
		return usagef("--progress %q: want auto, always or never", c.progress)
	}
	text, err := readPayload(c.payloadArg, io_.stdin)
	if err != nil {
		return err
	}
	cat, err := loadCatalog(ctx, c.protos, c.importPaths, c.descriptorSet)
	if err != nil {
		return err
	}
	if cat == nil && c.codec == "binary" {
		return usagef("--codec binary needs the method's descriptors (--proto or --descriptor-set)")
	}
	if c.codec != "" && c.codec != "json" && c.codec != "binary" {
		return usagef("--codec %q: want json or binary", c.codec)
	}
	if err := c.check(getenv); err != nil {
		return err
	}
	t, closeT, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer closeT()

	view := c.progressView(io_)
	var reply string
	var report lkrpc.CallReport
	switch {
	case cat != nil:
		reply, err = c.callTyped(ctx, t, cat, text, view, &report, io_.stdout)
	case c.stream:
		err = c.callStream(ctx, t, transport.StreamCall{Destination: c.identity, Method: c.method, Payload: text, FirstTimeout: c.timeout},
			func(p string) (string, error) { return compactRaw(p), nil }, io_.stdout)
	default:
		reply, err = c.callRaw(ctx, t, text, view, &report)
	}
	if view != nil {
		view.finish()
	}
	if c.verbose {
		fmt.Fprintf(io_.stderr, "request: %d bytes as %v (%d on the wire); response: %v (%d on the wire); %v\n",
			report.RequestBytes, report.Request, report.Request.WireBytes, report.Response, report.Response.WireBytes, report.Duration.Round(time.Millisecond))
	}
	if err != nil {
		return err
	}
	_, err = io.WriteString(io_.stdout, reply)
	return err
}

// dial joins the room, or readies the RoomService API.
func (c *callCmd) dial(ctx context.Context) (lkrpc.Transport, func(), error) {
	if c.via == "api" {
		t, err := roomservice.New(c.url, c.apiKey, c.apiSecret, c.room, roomservice.WithLogger(quiet))
		if err != nil {
			return nil, nil, &connectError{err}
		}
		return t, func() {}, nil
	}
	_, token, err := c.joinToken()
	if err != nil {
		return nil, nil, &connectError{err}
	}
	conn, err := connect(ctx, c.url, token, lkrpc.WithLogger(quiet))
	if err != nil {
		return nil, nil, &connectError{err}
	}
	return conn, func() { _ = conn.Close() }, nil
}

func (c *callCmd) progressView(io_ stdio) *progressView {
	switch {
	case c.progress == "never", c.via == "api":
		return nil
	case c.progress == "always":
		return newProgressView(io_.stderr, true)
	case io_.stderrIsTerminal:
		return newProgressView(io_.stderr, false)
	}
	return nil
}

// callTyped checks the request against the descriptors, calls through the
// runtime's client (the method's codec, timeout and limits) and prints the
// reply as JSON.
func (c *callCmd) callTyped(ctx context.Context, t lkrpc.Transport, cat *catalog, text string, view *progressView, report *lkrpc.CallReport, out io.Writer) (string, error) {
	md, spec, err := cat.method(c.method)
	if err != nil {
		return "", err
	}
	req, err := cat.parseRequest(md, text)
	if err != nil {
		return "", err
	}
	if md.IsStreamingServer() {
		return "", c.callTypedStream(ctx, t, cat, md, spec, req, out)
	}
	resp := cat.newMessage(md.Output())
	opts := c.callOptions(view, report)
	if err := lkrpc.NewClient(t, c.identity).Invoke(ctx, runtimeMethod(spec), req, resp, opts...); err != nil {
		return "", err
	}
	return formatMessage(resp, cat.types)
}

// callRaw sends the payload as given to the method's wire name.
func (c *callCmd) callRaw(ctx context.Context, t lkrpc.Transport, text string, view *progressView, report *lkrpc.CallReport) (string, error) {
	call := transport.Call{Destination: c.identity, Method: c.method, Payload: text, Timeout: c.timeout}
	if view != nil {
		call.Progress = view.report
	}
	start := time.Now()
	reply, err := t.Call(ctx, call)
	*report = lkrpc.CallReport{Destination: c.identity, Method: c.method, RequestBytes: len(text),
		Request: reply.Request, Response: reply.Response, Duration: time.Since(start), Err: err}
	if err != nil {
		return "", err
	}
	return formatRaw(reply.Payload), nil
}

func (c *callCmd) callOptions(view *progressView, report *lkrpc.CallReport) []lkrpc.CallOption {
	opts := []lkrpc.CallOption{lkrpc.WithReport(report), lkrpc.WithTimeout(c.timeout)}
	if view != nil {
		opts = append(opts, lkrpc.WithProgress(view.report))
	}
	switch c.codec {
	case "json":
		opts = append(opts, lkrpc.WithCodec(lkrpc.CodecJSON))
	case "binary":
		opts = append(opts, lkrpc.WithCodec(lkrpc.CodecBinary))
	}
	return opts
}

// runtimeMethod is the *lkrpc.Method generated code would hold for spec.
func runtimeMethod(spec methodspec.Spec) *lkrpc.Method {
	m := &lkrpc.Method{
		Name:             spec.WireName,
		Timeout:          time.Duration(spec.TimeoutMillis) * time.Millisecond,
		MaxRequestBytes:  int(spec.MaxRequestBytes),
		MaxResponseBytes: int(spec.MaxResponseBytes),
	}
	switch spec.Codec {
	case lkrpcv1.Codec_CODEC_BINARY:
		m.Codec = lkrpc.CodecBinary
	case lkrpcv1.Codec_CODEC_JSON:
		m.Codec = lkrpc.CodecJSON
	}
	return m
}

// readPayload reads the request argument: JSON as given, @file, or - for
// standard input.
func readPayload(arg string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	switch {
	case arg == "-":
		b, err = io.ReadAll(stdin)
	case strings.HasPrefix(arg, "@"):
		b, err = os.ReadFile(arg[1:])
	default:
		return arg, nil
	}
	if err != nil {
		return "", usagef("reading the request: %v", err)
	}
	return string(b), nil
}

// formatMessage prints m as indented JSON. protojson's own indentation
// varies its spacing from build to build on purpose, so encoding/json
// indents it instead.
func formatMessage(m proto.Message, types typeResolver) (string, error) {
	b, err := protojson.MarshalOptions{Resolver: types}.Marshal(m)
	if err != nil {
		return "", err
	}
	return formatRaw(string(b)), nil
}

// formatRaw indents a JSON reply; anything else is printed as it came.
func formatRaw(payload string) string {
	var out bytes.Buffer
	if payload != "" && json.Indent(&out, []byte(payload), "", "  ") == nil {
		return out.String() + "\n"
	}
	return payload + "\n"
}

// describeError is what a person reads when a call fails.
func describeError(err error) string {
	e, ok := rpcerr.From(err)
	if !ok {
		return err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "error %d", e.Code)
	if name := rpcerr.Message(e.Code); name != "" && name != e.Message {
		fmt.Fprintf(&b, " (%s)", strings.ToLower(name))
	}
	fmt.Fprintf(&b, ": %s", e.Message)
	if e.Data != "" {
		b.WriteString("\ndata: ")
		b.WriteString(strings.TrimSuffix(formatRaw(e.Data), "\n"))
	}
	return b.String()
}

// connect joins a room; tests put an in-memory room behind it.
var connect = lkrpc.Connect

// quiet discards the runtime's logs: the command reports errors itself.
var quiet = slog.New(slog.DiscardHandler)
