package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// heredocRun turns a RUN with heredocs into its command line as BuildKit
// does: `RUN <<EOF` alone runs the document's text in the shell, or, when
// it starts with "#!", runs it as a file mounted at /dev/pipes/NAME;
// anything else (`RUN python3 <<EOF`, several documents) is handed to the
// shell with the documents put back after the line.
func heredocRun(c *instructions.RunCommand) ([]string, *mountPlan, error) {
	args := c.CmdLine
	if len(c.Files) == 0 {
		return args, nil, nil
	}
	if len(args) != 1 || !c.PrependShell {
		return nil, nil, errdefs.ErrInvalidArgument.WithMessage("a heredoc needs RUN's shell form")
	}
	if hd := parser.MustParseHeredoc(args[0]); hd != nil {
		data := c.Files[0].Data
		if c.Files[0].Chomp {
			data = parser.ChompHeredocContent(data)
		}
		if !strings.HasPrefix(data, "#!") {
			return []string{data}, nil, nil
		}
		target := path.Join("/dev/pipes", c.Files[0].Name)
		m := &instructions.Mount{Type: "inline", Target: target, ReadOnly: true}
		return []string{target}, &mountPlan{m: m, target: target, inline: []byte(data)}, nil
	}
	var b strings.Builder
	b.WriteString(args[0])
	for _, f := range c.Files {
		b.WriteByte('\n')
		b.WriteString(f.Data)
		b.WriteString(f.Name)
	}
	return []string{b.String()}, nil, nil
}

// rawExpander expands a heredoc's text as BuildKit does (quotes kept).
func rawExpander(env []string) instructions.SingleWordExpander {
	lex := shell.NewLex('\\')
	lex.SkipProcessQuotes = true
	getter := shell.EnvsFromSlice(env)
	return func(word string) (string, error) {
		out, _, err := lex.ProcessWord(word, getter)
		return out, err
	}
}

// inlineNames are the " <<NAME" parts of a COPY's history line.
func inlineNames(docs []instructions.SourceContent) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = "<<" + d.Path
	}
	return out
}

// hashInline hashes heredoc documents for the cache key.
func hashInline(docs []instructions.SourceContent) string {
	h := sha256.New()
	for _, d := range docs {
		fmt.Fprintf(h, "%s\x00%d\x00%s", d.Path, len(d.Data), d.Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// copyInline copies a COPY's heredoc documents to the step's filesystem:
// each is written as a file named after its document (mode 0644, root's)
// and copied with the COPY's rules.
func (bd *build) copyInline(root string, cs copySpec) error {
	dir, done, err := bd.store.TempDir("heredoc-")
	if err != nil {
		return fmt.Errorf("%s heredoc: %w", cs.name, err)
	}
	defer done()
	var names []string
	for _, d := range cs.inline {
		name := filepath.Base(filepath.Clean("/" + d.Path))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(d.Data), 0o644); err != nil {
			return fmt.Errorf("%s heredoc: %w", cs.name, err)
		}
		names = append(names, name)
	}
	in := cs
	in.srcs, in.unpack = names, false
	return bd.copyFiles(dir, root, in, false)
}
