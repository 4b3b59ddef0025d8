package generator

import (
	"strings"
	"unicode"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/descriptorpb"
)

// wrapWidth is the longest line of comment text the generator writes, not
// counting the "// " marker. Proto lines longer than this are re-wrapped at
// spaces; lines that are indented (code blocks) are kept as they are.
const wrapWidth = 77

const deprecatedParagraph = "Deprecated: Do not use."

// protoDoc returns the leading comment of a proto element, followed by its
// trailing comment as a paragraph of its own, as plain text.
func protoDoc(comments protogen.CommentSet) string {
	leading := commentText(comments.Leading)
	trailing := commentText(comments.Trailing)
	switch {
	case leading == "":
		return trailing
	case trailing == "":
		return leading
	default:
		return leading + "\n\n" + trailing
	}
}

// commentText strips the single space protoc keeps after "//" on each line
// and the surrounding blank lines, and whatever Go source cannot hold.
func commentText(c protogen.Comments) string {
	text := sanitize(string(c))
	lines := strings.Split(strings.Trim(text, "\n"), "\n")
	for i, line := range lines {
		lines[i] = strings.TrimRight(strings.TrimPrefix(line, " "), " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// sanitize makes text safe in a Go comment: invalid UTF-8 becomes U+FFFD,
// and control characters other than tab and newline (NUL and CR among them)
// and byte order marks, which the Go scanner rejects, are dropped.
func sanitize(text string) string {
	return strings.Map(func(r rune) rune {
		if r == '\uFEFF' || (unicode.IsControl(r) && r != '\t' && r != '\n') {
			return -1
		}
		return r
	}, strings.ToValidUTF8(text, "\uFFFD"))
}

// docComment renders paragraphs (blank ones are skipped) as a Go comment, one
// "// " line per text line, wrapped at wrapWidth, ready for jen.Comment.
func docComment(paragraphs ...string) string {
	var b strings.Builder
	for _, p := range paragraphs {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("//\n")
		}
		for _, line := range strings.Split(p, "\n") {
			writeWrapped(&b, line)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// writeWrapped writes one text line as one or more comment lines.
func writeWrapped(b *strings.Builder, line string) {
	if line == "" {
		b.WriteString("//\n")
		return
	}
	if len(line) <= wrapWidth || line[0] == ' ' || line[0] == '\t' {
		b.WriteString("// ")
		b.WriteString(line)
		b.WriteByte('\n')
		return
	}
	width := 0
	for i, word := range strings.Fields(line) {
		switch {
		case i == 0:
			b.WriteString("// ")
		case width+1+len(word) > wrapWidth:
			b.WriteString("\n// ")
			width = 0
		default:
			b.WriteByte(' ')
			width++
		}
		b.WriteString(word)
		width += len(word)
	}
	b.WriteByte('\n')
}

// deprecated returns the Go "Deprecated:" paragraph when set, else "".
func deprecated(set bool) string {
	if set {
		return deprecatedParagraph
	}
	return ""
}

// serviceDeprecated reports option deprecated = true on a service.
func serviceDeprecated(svc *protogen.Service) bool {
	opts, _ := svc.Desc.Options().(*descriptorpb.ServiceOptions)
	return opts.GetDeprecated()
}

// methodDeprecated reports option deprecated = true on a method.
func methodDeprecated(m *protogen.Method) bool {
	opts, _ := m.Desc.Options().(*descriptorpb.MethodOptions)
	return opts.GetDeprecated()
}
