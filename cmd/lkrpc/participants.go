package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/runtime/discovery"
)

const participantsHelp = `Usage: lkrpc participants [flags]

Lists the participants of --room through the server's RoomService API
(without joining): identity, kind, the client protocol and capabilities
each advertised (protocol 1 and up speaks RPC v2), and the lkrpc services
each serves (the ` + discovery.Attribute + ` attribute).

Flags:
`

type participantsCmd struct {
	server
	json bool
}

func (c *participantsCmd) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("participants", flag.ContinueOnError)
	c.addFlags(fs)
	fs.BoolVar(&c.json, "json", false, "print JSON, one object per participant, for scripts")
	return fs
}

// participantRow is one line of the listing, and its JSON form.
type participantRow struct {
	Identity       string   `json:"identity"`
	Kind           string   `json:"kind"`
	ClientProtocol int32    `json:"clientProtocol"`
	Capabilities   []string `json:"capabilities"`
	Services       []string `json:"services"`
}

func runParticipants(ctx context.Context, args []string, io_ stdio, getenv func(string) string) error {
	c := &participantsCmd{}
	pos, err := parseFlags(c.flags(), args, participantsHelp, io_.stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("participants takes no arguments, got %q", pos)
	}
	if err := c.check(getenv); err != nil {
		return err
	}
	rooms := lksdk.NewRoomServiceClient(c.url, c.apiKey, c.apiSecret)
	res, err := rooms.ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: c.room})
	if err != nil {
		return &connectError{fmt.Errorf("listing the participants of %q: %w", c.room, err)}
	}
	rows := make([]participantRow, 0, len(res.GetParticipants()))
	for _, p := range res.GetParticipants() {
		rows = append(rows, rowOf(p))
	}
	slices.SortFunc(rows, func(a, b participantRow) int { return strings.Compare(a.Identity, b.Identity) })
	if c.json {
		enc := json.NewEncoder(io_.stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	return printTable(io_, rows)
}

func rowOf(p *livekit.ParticipantInfo) participantRow {
	r := participantRow{
		Identity:       p.GetIdentity(),
		Kind:           p.GetKind().String(),
		ClientProtocol: p.GetClientProtocol(),
		Capabilities:   []string{},
		Services:       discovery.Services(p.GetAttributes()),
	}
	for _, c := range p.GetCapabilities() {
		r.Capabilities = append(r.Capabilities, strings.TrimPrefix(c.String(), "CAP_"))
	}
	if r.Services == nil {
		r.Services = []string{}
	}
	return r
}

func printTable(io_ stdio, rows []participantRow) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(io_.stderr, "nobody is in the room")
		return err
	}
	w := tabwriter.NewWriter(io_.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "IDENTITY\tKIND\tPROTOCOL\tCAPABILITIES\tSERVICES")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", r.Identity, r.Kind, r.ClientProtocol,
			orDash(strings.Join(r.Capabilities, ",")), orDash(strings.Join(r.Services, ",")))
	}
	return w.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
