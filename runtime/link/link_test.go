package link

import (
	"maps"
	"testing"
)

func TestMergeAttributesAsLiveKitApplies(t *testing.T) {
	attrs := map[string]string{"keep": "1", "change": "old", "drop": "x"}
	got := MergeAttributes(attrs, map[string]string{"change": "new", "drop": "", "add": "2", "absent": ""})
	want := map[string]string{"keep": "1", "change": "new", "add": "2"}
	if !maps.Equal(got, want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
	if attrs["change"] != "old" || attrs["drop"] != "x" {
		t.Fatalf("the original was modified: %v", attrs)
	}
	if got := MergeAttributes(nil, map[string]string{"a": "b"}); !maps.Equal(got, map[string]string{"a": "b"}) {
		t.Fatalf("from nil: %v", got)
	}
}
