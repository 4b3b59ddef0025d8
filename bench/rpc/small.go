package main

import (
	"context"
	"fmt"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// pingPair is the row-1 and row-6 setup in one room: lkrpc's generated
// VoiceAgent client and handler, each on its own participant link, and two
// stock *lksdk.Room participants for the baseline, whose handler answers
// the same bytes by hand.
type pingPair struct {
	client agentv1.VoiceAgentClient
	stock  *stockRoom // the baseline's caller
}

func newPingPair(ctx context.Context, s *scene) (*pingPair, error) {
	callerLink, caller, err := s.link(ctx, "lk-caller", nil)
	if err != nil {
		return nil, err
	}
	agentLink, handler, err := s.link(ctx, "lk-agent", nil)
	if err != nil {
		return nil, err
	}
	if _, err := agentv1.RegisterVoiceAgentHandler(handler, agent{}); err != nil {
		return nil, err
	}
	stockCaller, err := s.stock("st-caller")
	if err != nil {
		return nil, err
	}
	stockAgent, err := s.stock("st-agent")
	if err != nil {
		return nil, err
	}
	if err := stockAgent.RegisterRpcMethod(stockPingMethod, func(lksdk.RpcInvocationData) (string, error) {
		return stockPingReply, nil
	}); err != nil {
		return nil, err
	}
	if err := meet(ctx, map[string]*rtc.Link{"lk-caller": callerLink, "lk-agent": agentLink}); err != nil {
		return nil, err
	}
	if err := stockCaller.waitSees(ctx, "st-agent"); err != nil {
		return nil, err
	}
	if err := stockAgent.waitSees(ctx, "st-caller"); err != nil {
		return nil, err
	}
	return &pingPair{client: agentv1.NewVoiceAgentClient(caller, "lk-agent"), stock: stockCaller}, nil
}

func (p *pingPair) typedPing(ctx context.Context) error {
	resp, err := p.client.Ping(ctx, &agentv1.PingRequest{})
	if err != nil {
		return err
	}
	if !resp.GetTime().AsTime().Equal(pingTime) {
		return fmt.Errorf("typed Ping answered %v", resp.GetTime().AsTime())
	}
	return nil
}

func (p *pingPair) stockPing() error {
	reply, err := p.stock.LocalParticipant.PerformRpc(lksdk.PerformRpcParams{
		DestinationIdentity: "st-agent", Method: stockPingMethod, Payload: "{}",
	})
	if err != nil {
		return err
	}
	if reply == nil || *reply != stockPingReply {
		return fmt.Errorf("stock PerformRpc answered %v", reply)
	}
	return nil
}

// smallCalls is row 1: the median latency of a generated Ping through the
// real server against stock PerformRpc, alternating call by call.
func smallCalls(ctx context.Context, b *bench) ([]Row, error) {
	s := b.newScene("small")
	defer s.close()
	p, err := newPingPair(ctx, s)
	if err != nil {
		return nil, err
	}
	var typed, stock samples
	warm, n := 20, b.count(400, 20)
	for i := range warm + n {
		t0 := time.Now()
		if err := p.typedPing(ctx); err != nil {
			return nil, fmt.Errorf("typed Ping: %w", err)
		}
		t1 := time.Now()
		if err := p.stockPing(); err != nil {
			return nil, fmt.Errorf("stock PerformRpc: %w", err)
		}
		t2 := time.Now()
		if i >= warm {
			typed = append(typed, t1.Sub(t0))
			stock = append(stock, t2.Sub(t1))
		}
	}
	r := ratio(typed.median(), stock.median())
	return []Row{{
		ID:       "1",
		Figure:   "small call Go↔Go, generated `Ping` on the participant link: " + typed.String(),
		Baseline: "stock `PerformRpc`, hand-written string: " + stock.String(),
		Ratio:    r, Target: "≤ 1.05×", Status: verdict(r <= 1.05),
	}}, nil
}
