package runtime_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

func TestWithProgressReportsTheRequestAndTheResponse(t *testing.T) {
	caller, handler := connPair(t, quietLogger())
	mustRegister(t, handler, []lkrpc.HandlerDesc{stringDesc(greetMethod, greet)})

	var mu sync.Mutex
	var reports []lkrpc.Progress
	var report lkrpc.CallReport
	random := make([]byte, 768<<10)
	_, _ = rand.Read(random)
	name := base64.StdEncoding.EncodeToString(random) // 1 MiB that deflate cannot shrink much
	reply, err := lkrpc.Call[wrapperspb.StringValue](context.Background(), lkrpc.NewClient(caller, "bob"), greetMethod,
		wrapperspb.String(name), lkrpc.WithReport(&report), lkrpc.WithProgress(func(p lkrpc.Progress) {
			mu.Lock()
			reports = append(reports, p)
			mu.Unlock()
		}))
	if err != nil || reply.GetValue() != "hello, "+name {
		t.Fatalf("call: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var lastUp, lastDown lkrpc.Progress
	for _, p := range reports {
		if p.Response {
			lastDown = p
		} else {
			lastUp = p
		}
	}
	if want := int64(report.Request.WireBytes); lastUp.Bytes != want || lastUp.Total != want {
		t.Errorf("last request report %+v, want %d of %d (%v)", lastUp, want, want, report.Request)
	}
	// The in-memory room speaks protocol 2 with compression: the response's
	// compressed size is not known in advance.
	if want := int64(report.Response.WireBytes); lastDown.Bytes != want || lastDown.Total != -1 {
		t.Errorf("last response report %+v, want %d of -1 (%v)", lastDown, want, report.Response)
	}
}
