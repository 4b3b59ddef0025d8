package generator

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
)

func TestCommentText(t *testing.T) {
	in := protogen.Comments(" First line.\r\n\n   indented code\n Last line.  \n")
	want := "First line.\n\n  indented code\nLast line."
	if got := commentText(in); got != want {
		t.Errorf("commentText = %q, want %q", got, want)
	}
	if got := commentText(""); got != "" {
		t.Errorf("commentText(\"\") = %q, want empty", got)
	}
}

func TestCommentTextSanitizes(t *testing.T) {
	in := protogen.Comments(" nul\x00 bom\ufeff bad\xff bell\a tab\t ok\u2028\n")
	want := "nul bom bad\ufffd bell tab\t ok\u2028"
	if got := commentText(in); got != want {
		t.Errorf("commentText = %q, want %q", got, want)
	}
}

func TestProtoDocJoinsLeadingAndTrailing(t *testing.T) {
	set := protogen.CommentSet{Leading: " Leading.\n", Trailing: " Trailing.\n"}
	if got, want := protoDoc(set), "Leading.\n\nTrailing."; got != want {
		t.Errorf("protoDoc = %q, want %q", got, want)
	}
	if got, want := protoDoc(protogen.CommentSet{Trailing: " Only.\n"}), "Only."; got != want {
		t.Errorf("protoDoc = %q, want %q", got, want)
	}
}

func TestDocCommentWraps(t *testing.T) {
	long := strings.Repeat("word ", 40) // 200 characters
	got := docComment(long, "", "  code line that is very long and must not be wrapped even past the width of eighty columns", deprecated(true))
	lines := strings.Split(got, "\n")
	for _, line := range lines {
		if !strings.HasPrefix(line, "//") {
			t.Fatalf("line %q is not a comment", line)
		}
		if len(line) > wrapWidth+3 && !strings.HasPrefix(line, "//   code") {
			t.Errorf("line of %d bytes is not wrapped: %q", len(line), line)
		}
	}
	if !strings.Contains(got, "\n//   code line that is very long and must not be wrapped even past the width of eighty columns\n") {
		t.Errorf("code line was changed:\n%s", got)
	}
	if !strings.HasSuffix(got, "//\n// Deprecated: Do not use.") {
		t.Errorf("no Deprecated paragraph at the end:\n%s", got)
	}
	if words := strings.Count(got, "word"); words != 40 {
		t.Errorf("wrapping kept %d of 40 words", words)
	}
	if strings.Contains(got, "//\n//\n") {
		t.Errorf("empty paragraph was written:\n%s", got)
	}
}
