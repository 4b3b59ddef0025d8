package main

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

// progressMin is the smallest payload that gets a bar when --progress=auto:
// anything smaller is over before a bar is worth drawing.
const progressMin = 256 << 10

// progressView draws a call's progress on a terminal: a bar for the
// request going out, then one for the response coming in. The engine's
// reports only store numbers and start a bar's clock (they must return at
// once); a ticker draws.
type progressView struct {
	w      io.Writer
	always bool // draw whatever the size

	mu     sync.Mutex
	latest [2]lkrpc.Progress // [0] request, [1] response
	bars   [2]*progressbar.ProgressBar

	drawn [2]bool // touched by the drawing goroutine only
	stop  chan struct{}
	done  chan struct{}
}

// newProgressView starts drawing to w; stop it with finish.
func newProgressView(w io.Writer, always bool) *progressView {
	v := &progressView{w: w, always: always, stop: make(chan struct{}), done: make(chan struct{})}
	go v.run()
	return v
}

// report is the call's WithProgress function.
func (v *progressView) report(p lkrpc.Progress) {
	i := 0
	if p.Response {
		i = 1
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.latest[i] = p
	// A request compressed as it is sent learns its compressed size soon
	// after it starts (its compressor runs ahead of the network): its bar
	// waits for it, since a spinner cannot become a bar later. A
	// compressed response never knows it: a spinner.
	if v.bars[i] == nil && (v.always || max(p.Total, p.Bytes) >= progressMin) && (p.Total >= 0 || p.Response) {
		// Made here, not when first drawn, so that its clock (and the rate
		// it shows) starts with the transfer.
		v.bars[i] = newBar(v.w, p.Total, [2]string{"sending  ", "receiving"}[i])
		v.bars[i].StartWithoutRender()
	}
}

func newBar(w io.Writer, total int64, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(0),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionShowElapsedTimeOnFinish(),
		// No drawing goroutine of the bar's own: ours draws, and nothing
		// may write after finish returns.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
}

func (v *progressView) run() {
	defer close(v.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-v.stop:
			v.draw(true)
			return
		case <-tick.C:
			v.draw(false)
		}
	}
}

// draw brings the bars up to the latest reports; final ends the last one.
// It writes outside v.mu, so a slow terminal never holds up a report.
func (v *progressView) draw(final bool) {
	v.mu.Lock()
	latest, bars := v.latest, v.bars
	v.mu.Unlock()
	last := -1
	for i, bar := range bars {
		if bar == nil {
			continue
		}
		if i == 1 && v.drawn[0] && !v.drawn[1] {
			// The request is out: its bar stays, full, on its own line.
			_ = bars[0].Finish()
			_, _ = io.WriteString(v.w, "\n")
		}
		_ = bar.Set64(latest[i].Bytes)
		v.drawn[i], last = true, i
	}
	if final && last >= 0 {
		_ = bars[last].Exit()
		_, _ = io.WriteString(v.w, "\n")
	}
}

// finish draws the last state and stops drawing.
func (v *progressView) finish() {
	close(v.stop)
	<-v.done
}
