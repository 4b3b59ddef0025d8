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
// reports only store numbers (they must return at once); a ticker draws.
type progressView struct {
	w      io.Writer
	always bool // draw whatever the size

	mu     sync.Mutex
	latest [2]lkrpc.Progress // [0] request, [1] response
	seen   [2]bool

	bars [2]*progressbar.ProgressBar
	stop chan struct{}
	done chan struct{}
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
	v.latest[i], v.seen[i] = p, true
	v.mu.Unlock()
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

// draw brings the bars up to the latest reports; final ends them.
func (v *progressView) draw(final bool) {
	v.mu.Lock()
	latest, seen := v.latest, v.seen
	v.mu.Unlock()
	for i, what := range []string{"sending  ", "receiving"} {
		if !seen[i] {
			continue
		}
		p := latest[i]
		if v.bars[i] == nil {
			size := max(p.Total, p.Bytes)
			if !v.always && size < progressMin {
				continue
			}
			if i == 1 && v.bars[0] != nil {
				_ = v.bars[0].Finish()
				_, _ = io.WriteString(v.w, "\n")
			}
			v.bars[i] = progressbar.NewOptions64(p.Total,
				progressbar.OptionSetWriter(v.w),
				progressbar.OptionSetDescription(what),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowTotalBytes(true),
				progressbar.OptionUseIECUnits(true),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(0),
				progressbar.OptionSetPredictTime(false),
				progressbar.OptionShowElapsedTimeOnFinish(),
				// No drawing goroutine of the bar's own: ours draws, and
				// nothing may write after finish returns.
				progressbar.OptionSetSpinnerChangeInterval(0),
			)
		}
		_ = v.bars[i].Set64(p.Bytes)
	}
	if final {
		for i := len(v.bars) - 1; i >= 0; i-- {
			if v.bars[i] != nil {
				_ = v.bars[i].Exit()
				_, _ = io.WriteString(v.w, "\n")
				break
			}
		}
	}
}

// finish draws the last state and stops drawing.
func (v *progressView) finish() {
	close(v.stop)
	<-v.done
}
