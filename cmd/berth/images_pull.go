package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"berth/images"
)

// fullRef is the registry-qualified form docker prints after a pull:
// "docker.io/library/busybox:latest".
func fullRef(r images.Reference) string {
	s := r.Name.Name()
	if reg := r.Name.Context().RegistryStr(); reg == name.DefaultRegistry {
		s = "docker.io" + strings.TrimPrefix(s, reg)
	}
	return s
}

// fullRepo is the registry-qualified repository: "docker.io/library/busybox".
func fullRepo(r images.Reference) string {
	s := r.Name.Context().Name()
	if reg := r.Name.Context().RegistryStr(); reg == name.DefaultRegistry {
		s = "docker.io" + strings.TrimPrefix(s, reg)
	}
	return s
}

// repoPath is the repository as the registry names it: "library/busybox".
func repoPath(r images.Reference) string { return r.Name.Context().RepositoryStr() }

func (a *app) pullCommand() *cobra.Command {
	var platform string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			r, err := images.ParseReference(args[0])
			if err != nil {
				return err
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			out := a.stdout
			if quiet {
				out = io.Discard
			}
			if r.Digest == "" && !strings.HasSuffix(args[0], ":"+r.Tag) {
				fmt.Fprintln(out, "Using default tag:", r.Tag)
			}
			tagOrDigest := r.Tag
			if r.Digest != "" {
				tagOrDigest = r.Digest
			}
			fmt.Fprintf(out, "%s: Pulling from %s\n", tagOrDigest, repoPath(r))
			var before string
			if old, err := e.InspectImage(ctx, args[0]); err == nil {
				before = old.ID
			}
			events := make(chan images.Progress, 64)
			view := newProgressView(out)
			done := make(chan struct{})
			go func() { view.drain(events); close(done) }()
			img, err := e.PullImage(ctx, args[0], images.PullOptions{Platform: platform, Progress: events})
			close(events)
			<-done
			if err != nil {
				return err
			}
			if len(img.RepoDigests) > 0 {
				_, d, _ := strings.Cut(img.RepoDigests[0], "@")
				fmt.Fprintln(out, "Digest:", d)
			}
			status := "Downloaded newer image for "
			if before == img.ID && !view.fetched { // every local layer verified intact
				status = "Image is up to date for "
			}
			fmt.Fprintln(out, "Status: "+status+r.Familiar())
			fmt.Fprintln(a.stdout, fullRef(r))
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "set platform if the image is multi-platform (os/arch[/variant])")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress verbose output")
	return cmd
}

func (a *app) pushCommand() *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			r, err := images.ParseReference(args[0])
			if err != nil {
				return err
			}
			if r.Tag == "" {
				return invalid("push %s: a digest reference cannot be pushed, name a tag", args[0])
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			out := a.stdout
			if quiet {
				out = io.Discard
			}
			if _, err := e.InspectImage(ctx, args[0]); err != nil {
				return fmt.Errorf("push: %w", err)
			}
			fmt.Fprintf(out, "The push refers to repository [%s]\n", fullRepo(r))
			events := make(chan images.Progress, 64)
			view := newProgressView(out)
			done := make(chan struct{})
			go func() { view.drain(events); close(done) }()
			digest, size, err := e.PushImage(ctx, args[0], images.PushOptions{Progress: events})
			close(events)
			<-done
			if err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(a.stdout, fullRef(r))
				return nil
			}
			line := fmt.Sprintf("%s: digest: %s", r.Tag, digest)
			if size > 0 {
				line += fmt.Sprintf(" size: %d", size)
			}
			fmt.Fprintln(out, line)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress verbose output")
	return cmd
}
