package offheap

import (
	"bytes"
	"math"
	"runtime"
	"testing"
	"time"
)

func needMappings(t *testing.T) {
	t.Helper()
	if !Supported {
		t.Skip("no memory mappings on this platform")
	}
}

// counters returns the live mappings and mapped bytes.
func counters() (int, int64) { return Mappings(), MappedBytes() }

func wantCounters(t *testing.T, n0 int, b0 int64, n int, b int64, when string) {
	t.Helper()
	if gotN, gotB := counters(); gotN-n0 != n || gotB-b0 != b {
		t.Fatalf("%s: %d mappings of %d bytes, want %d of %d", when, gotN-n0, gotB-b0, n, b)
	}
}

func TestGrowAppendFree(t *testing.T) {
	needMappings(t)
	n0, b0 := counters()
	var b Buffer
	if b.Len() != 0 || b.Cap() != 0 || b.Bytes() != nil {
		t.Fatal("zero Buffer not empty")
	}
	b.Free() // harmless on an empty Buffer
	wantCounters(t, n0, b0, 0, 0, "zero")

	if err := b.Grow(10); err != nil {
		t.Fatal(err)
	}
	if b.Cap() != PageSize || b.Len() != 0 {
		t.Fatalf("Grow(10): len %d cap %d", b.Len(), b.Cap())
	}
	wantCounters(t, n0, b0, 1, int64(PageSize), "one page")
	b.Append([]byte("hello "))
	sp := b.Spare()
	n := copy(sp, "world")
	b.Commit(n)
	if string(b.Bytes()) != "hello world" {
		t.Fatalf("Bytes() = %q", b.Bytes())
	}

	// Growing moves (or extends) the mapping and keeps the bytes.
	fill := bytes.Repeat([]byte{'z'}, PageSize)
	if err := b.Grow(5*PageSize + 1); err != nil {
		t.Fatal(err)
	}
	if b.Cap() != 6*PageSize {
		t.Fatalf("cap %d after Grow(5 pages + 1)", b.Cap())
	}
	b.Append(fill)
	if !bytes.Equal(b.Bytes(), append([]byte("hello world"), fill...)) {
		t.Fatal("bytes lost in growing")
	}
	wantCounters(t, n0, b0, 1, int64(6*PageSize), "six pages")
	if err := b.Grow(PageSize); err != nil || b.Cap() != 6*PageSize {
		t.Fatalf("Grow never shrinks: cap %d, %v", b.Cap(), err)
	}

	b.Free()
	wantCounters(t, n0, b0, 0, 0, "freed")
	if b.Len() != 0 || b.Cap() != 0 || b.Bytes() != nil {
		t.Fatal("freed Buffer not empty")
	}
	b.Free() // a second Free unmaps nothing
	wantCounters(t, n0, b0, 0, 0, "freed twice")

	// A freed Buffer can be grown again.
	if err := b.Grow(1); err != nil {
		t.Fatal(err)
	}
	wantCounters(t, n0, b0, 1, int64(PageSize), "regrown")
	b.Free()
	wantCounters(t, n0, b0, 0, 0, "freed again")
}

func TestGrowFailureLeavesBuffer(t *testing.T) {
	needMappings(t)
	n0, b0 := counters()
	var b Buffer
	if err := b.Grow(1); err != nil {
		t.Fatal(err)
	}
	b.Append([]byte("kept"))
	const huge = math.MaxInt / 4 // more address space than exists
	if err := b.Grow(huge); err == nil {
		t.Fatal("Grow(huge) succeeded")
	}
	if string(b.Bytes()) != "kept" || b.Cap() != PageSize {
		t.Fatalf("after a failed Grow: %q, cap %d", b.Bytes(), b.Cap())
	}
	wantCounters(t, n0, b0, 1, int64(PageSize), "after a failed Grow")
	b.Free()
	var c Buffer
	if err := c.Grow(huge); err == nil {
		t.Fatal("first Grow(huge) succeeded")
	}
	if err := c.Grow(math.MaxInt); err == nil { // would overflow Round
		t.Fatal("Grow(MaxInt) succeeded")
	}
	wantCounters(t, n0, b0, 0, 0, "after a failed first Grow")
}

func TestAppendPastCapacityPanics(t *testing.T) {
	needMappings(t)
	var b Buffer
	defer b.Free()
	if err := b.Grow(1); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Append past the capacity did not panic")
		}
	}()
	b.Append(make([]byte, PageSize+1))
}

// A Buffer dropped without Free is unmapped after a collection.
func TestUnreachableBufferUnmapped(t *testing.T) {
	needMappings(t)
	n0, b0 := counters()
	func() {
		b := new(Buffer)
		if err := b.Grow(3 * PageSize); err != nil {
			t.Fatal(err)
		}
		if err := b.Grow(7 * PageSize); err != nil { // the cleanup follows the move
			t.Fatal(err)
		}
		b.Append([]byte("dropped"))
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		if n, b := counters(); n == n0 && b == b0 {
			return
		}
		if time.Now().After(deadline) {
			wantCounters(t, n0, b0, 0, 0, "dropped Buffer")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRound(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 0}, {1, PageSize}, {PageSize, PageSize}, {PageSize + 1, 2 * PageSize}} {
		if got := Round(c.n); got != c.want {
			t.Errorf("Round(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}
