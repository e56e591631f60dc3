package main

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"berth/images"
)

// imageTopLevel are the docker-style top-level image verbs.
func (a *app) imageTopLevel() []*cobra.Command {
	ls := a.imagesCommand()
	rmi := a.imageRmCommand()
	rmi.Use, rmi.Aliases = "rmi [OPTIONS] IMAGE [IMAGE...]", nil
	cmds := []*cobra.Command{ls, rmi, a.tagCommand(), a.historyCommand(), a.importCommand()}
	return append(cmds, a.transferCommands()...)
}

func (a *app) imageCommands() *cobra.Command {
	g := &cobra.Command{Use: "image", Short: "Manage images"}
	ls := a.imagesCommand()
	ls.Use, ls.Aliases = "ls [OPTIONS]", []string{"list"}
	insp := a.inspectCommand()
	insp.Flags().Set("type", "image")
	g.AddCommand(ls, a.bootstrapCommand(), a.imageRmCommand(), a.tagCommand(), a.historyCommand(),
		a.importCommand(), a.imagePruneCommand(), insp, a.auditCommand())
	g.AddCommand(a.transferCommands()...)
	return g
}

func (a *app) bootstrapCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "bootstrap busybox|debian",
		Short: "Make a base image offline from the host's packages (busybox-static, debootstrap)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			img, err := e.BootstrapImage(cmd.Context(), args[0], func(s string) { fmt.Fprintln(a.stderr, s) })
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s %s\n", strings.Join(img.RepoTags, " "), img.ID)
			return nil
		},
	}
}

type imageRow struct {
	ID, Repository, Tag, Digest, CreatedSince, CreatedAt, Size string
}

func (a *app) imagesCommand() *cobra.Command {
	var all, quiet, digests, noTrunc bool
	var format string
	var filters []string
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			o := images.ListOptions{All: all, Filters: map[string][]string{}}
			for _, f := range filters {
				k, v, ok := strings.Cut(f, "=")
				if !ok {
					return invalid("bad format of filter %q (expected name=value)", f)
				}
				o.Filters[k] = append(o.Filters[k], v)
			}
			if len(args) == 1 {
				o.Filters["reference"] = append(o.Filters["reference"], args[0])
			}
			imgs, err := e.ListImages(cmd.Context(), o)
			if err != nil {
				return err
			}
			items := matchingRows(imageRows(imgs, noTrunc), o.Filters["reference"])
			switch {
			case quiet:
				format = "{{.ID}}"
			case format == "" && digests:
				format = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
			case format == "" || format == "table":
				format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
			}
			if quiet {
				items = uniqueIDs(items)
			}
			return printFormatted(a.stdout, format, map[string]string{"ID": "IMAGE ID", "Repository": "REPOSITORY",
				"Tag": "TAG", "Digest": "DIGEST", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE"}, items)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "show all images (default hides intermediate images)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	fl.BoolVar(&digests, "digests", false, "show digests")
	fl.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	fl.StringVar(&format, "format", "", "format output using a Go template, 'table' or 'json'")
	stringArrayVarP(fl, &filters, "filter", "f", "filter output (dangling=true, reference=PATTERN, label=K[=V], before=IMG, since=IMG, until=T)")
	return cmd
}

func imageRows(imgs []images.Image, noTrunc bool) []any {
	var items []any
	now := time.Now()
	for _, img := range imgs {
		id := img.ID
		if !noTrunc {
			id = strings.TrimPrefix(id, "sha256:")[:12]
		}
		row := imageRow{ID: id, CreatedSince: units.HumanDuration(now.Sub(img.Created)) + " ago",
			CreatedAt: img.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"), Size: humanSize(img.Size)}
		if len(img.RepoTags) == 0 {
			row.Repository, row.Tag, row.Digest = "<none>", "<none>", "<none>"
			if len(img.RepoDigests) > 0 {
				_, row.Digest, _ = strings.Cut(img.RepoDigests[0], "@")
			}
			items = append(items, row)
		}
		for _, t := range img.RepoTags {
			i := strings.LastIndex(t, ":")
			row.Repository, row.Tag = t[:i], t[i+1:]
			row.Digest = repoDigest(img.RepoDigests, row.Repository)
			items = append(items, row)
		}
	}
	return items
}

// matchingRows keeps the rows whose repository or repository:tag matches one of
// the reference patterns, as docker shows only the matching tags of an image.
func matchingRows(items []any, patterns []string) []any {
	if len(patterns) == 0 {
		return items
	}
	var out []any
	for _, it := range items {
		r := it.(imageRow)
		for _, p := range patterns {
			a, _ := path.Match(p, r.Repository)
			b, _ := path.Match(p, r.Repository+":"+r.Tag)
			if a || b {
				out = append(out, it)
				break
			}
		}
	}
	return out
}

// repoDigest is the digest recorded for repo among "repo@digest" references,
// "<none>" when the image has none from that repository (as docker images shows).
func repoDigest(repoDigests []string, repo string) string {
	for _, rd := range repoDigests {
		if r, d, ok := strings.Cut(rd, "@"); ok && r == repo {
			return d
		}
	}
	return "<none>"
}

func uniqueIDs(items []any) []any {
	seen := map[string]bool{}
	var out []any
	for _, it := range items {
		r := it.(imageRow)
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}

func (a *app) imageRmCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] IMAGE [IMAGE...]",
		Aliases: []string{"remove", "rmi"},
		Short:   "Remove one or more images",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var failed error
			for _, ref := range args {
				resp, err := e.RemoveImage(cmd.Context(), ref, force)
				if err != nil {
					fmt.Fprintln(a.stderr, "berth:", err)
					failed = exitError{1}
					continue
				}
				printDeleted(a, resp)
			}
			return failed
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "force removal of the image")
	return cmd
}

func printDeleted(a *app, resp []images.DeleteResponse) {
	for _, r := range resp {
		if r.Untagged != "" {
			fmt.Fprintln(a.stdout, "Untagged:", r.Untagged)
		}
		if r.Deleted != "" {
			fmt.Fprintln(a.stdout, "Deleted:", r.Deleted)
		}
	}
}

func (a *app) imagePruneCommand() *cobra.Command {
	var all, force bool
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			what := "all dangling images"
			if all {
				what = "all images without at least one container associated to them"
			}
			if !force && !confirm(a, "WARNING! This will remove "+what+".\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			resp, n, err := e.PruneImages(cmd.Context(), all)
			if err != nil {
				return err
			}
			printDeleted(a, resp)
			fmt.Fprintf(a.stdout, "Total reclaimed space: %s\n", humanSize(n))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove all unused images, not just dangling ones")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	return cmd
}

func (a *app) tagCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return e.TagImage(cmd.Context(), args[0], args[1])
		},
	}
}

func (a *app) historyCommand() *cobra.Command {
	var noTrunc, quiet bool
	var format string
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			hs, err := e.ImageHistory(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			type row struct{ ID, CreatedSince, CreatedAt, CreatedBy, Size, Comment string }
			var items []any
			now := time.Now()
			for _, h := range hs {
				id, by := h.ID, h.CreatedBy
				if !noTrunc {
					if strings.HasPrefix(id, "sha256:") {
						id = strings.TrimPrefix(id, "sha256:")[:12]
					}
					if len(by) > 45 {
						by = by[:44] + "…"
					}
				}
				items = append(items, row{ID: id, CreatedSince: units.HumanDuration(now.Sub(h.Created)) + " ago",
					CreatedAt: h.Created.Format(time.RFC3339), CreatedBy: by, Size: humanSize(h.Size), Comment: h.Comment})
			}
			if quiet {
				format = "{{.ID}}"
			} else if format == "" {
				format = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
			}
			return printFormatted(a.stdout, format, map[string]string{"ID": "IMAGE", "CreatedSince": "CREATED",
				"CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"}, items)
		},
	}
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	cmd.Flags().StringVar(&format, "format", "", "format output using a Go template")
	return cmd
}

func (a *app) importCommand() *cobra.Command {
	var o images.ImportOptions
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if len(args) == 2 {
				o.Ref = args[1]
			}
			var img *images.Image
			switch {
			case args[0] == "-":
				img, err = e.ImportImageWith(cmd.Context(), a.stdin, o)
			case strings.HasPrefix(args[0], "http://") || strings.HasPrefix(args[0], "https://"):
				img, err = e.ImportImageURLWith(cmd.Context(), args[0], o)
			default:
				f, oerr := os.Open(args[0])
				if oerr != nil {
					return invalid("import %s: %v", args[0], errors.Unwrap(oerr))
				}
				img, err = e.ImportImageWith(cmd.Context(), f, o)
				f.Close()
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, img.ID)
			return nil
		},
	}
	stringArrayVarP(cmd.Flags(), &o.Changes, "change", "c", "apply Dockerfile instruction to the created image")
	cmd.Flags().StringVarP(&o.Message, "message", "m", "", "set commit message for imported image")
	return cmd
}
