package client

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	moby "github.com/moby/moby/client"

	"berth/engine"
	"berth/images"
	"berth/stats"
)

// topColumns asks the server for every column the engine's Process has
// (berth's serve knows nspid; a dockerd's ps may not, see Top).
var topColumns = []string{"-o", "pid,nspid,ppid,uid,user,%cpu,rss,vsz,time,etime,stat,args"}

// Top lists a running container's processes from the server's ps table: the
// columns of topColumns, or, from a server whose ps refuses them, its
// default (UID PID PPID C STIME TTY TIME CMD).
func (c *Client) Top(ctx context.Context, ref string) ([]stats.Process, error) {
	res, err := c.api.ContainerTop(ctx, ref, moby.ContainerTopOptions{Arguments: topColumns})
	if err != nil && !errdefs.IsNotFound(err) && !errdefs.IsConflict(err) {
		res, err = c.api.ContainerTop(ctx, ref, moby.ContainerTopOptions{})
	}
	if err != nil {
		return nil, wire(err, "list the container's processes")
	}
	return topProcesses(res.Titles, res.Processes, time.Now()), nil
}

// topProcesses reads a ps table by its titles; a column the table lacks
// leaves its field zero.
func topProcesses(titles []string, rows [][]string, now time.Time) []stats.Process {
	col := map[string]int{}
	for i, t := range titles {
		col[strings.ToUpper(t)] = i
	}
	get := func(row []string, names ...string) string {
		for _, n := range names {
			if i, ok := col[n]; ok && i < len(row) {
				return row[i]
			}
		}
		return ""
	}
	out := make([]stats.Process, 0, len(rows))
	for _, row := range rows {
		p := stats.Process{PID: atoi(get(row, "PID")), NSPID: atoi(get(row, "NSPID")), PPID: atoi(get(row, "PPID")),
			User: get(row, "USER", "UID"), UID: atoi(get(row, "UID")), Command: get(row, "CMD", "COMMAND"),
			State: get(row, "STAT", "S")}
		p.CPUPercent, _ = strconv.ParseFloat(get(row, "%CPU", "C"), 64)
		p.CPUTime = psTime(get(row, "TIME"))
		p.RSS = uint64(atoi(get(row, "RSS"))) * 1024
		p.VSZ = uint64(atoi(get(row, "VSZ"))) * 1024
		if e := get(row, "ELAPSED"); e != "" {
			p.Started = now.Add(-psTime(e))
		}
		out = append(out, p)
	}
	return out
}

// psTime reads ps's TIME column ([DD-]HH:MM:SS).
func psTime(s string) time.Duration {
	var d time.Duration
	if days, rest, ok := strings.Cut(s, "-"); ok {
		d, s = time.Duration(atoi(days))*24*time.Hour, rest
	}
	var total time.Duration
	for _, part := range strings.Split(s, ":") {
		total = total*60 + time.Duration(atoi(part))*time.Second
	}
	return d + total
}

// CopyTo extracts the tar stream r at path p inside the container.
func (c *Client) CopyTo(ctx context.Context, ref, p string, r io.Reader) error {
	_, err := c.api.CopyToContainer(ctx, ref, moby.CopyToContainerOptions{DestinationPath: p, Content: r})
	return wire(err, "copy into the container")
}

// CopyFrom writes a tar of p inside the container to w; follow archives what
// a final symlink points to.
func (c *Client) CopyFrom(ctx context.Context, ref, p string, follow bool, w io.Writer) (os.FileInfo, error) {
	if follow {
		st, err := c.statPath(ctx, ref, p)
		if err != nil {
			return nil, err
		}
		if st.Mode&os.ModeSymlink != 0 && st.LinkTarget != "" {
			p = st.LinkTarget
		}
	}
	res, err := c.api.CopyFromContainer(ctx, ref, moby.CopyFromContainerOptions{SourcePath: p})
	if err != nil {
		return nil, wire(err, "copy from the container")
	}
	defer res.Content.Close()
	if _, err := io.Copy(w, res.Content); err != nil {
		return nil, wire(err, "copy from the container")
	}
	return pathInfo{res.Stat}, nil
}

// pathInfo is a container.PathStat as an os.FileInfo.
type pathInfo struct{ st container.PathStat }

func (p pathInfo) Name() string       { return p.st.Name }
func (p pathInfo) Size() int64        { return p.st.Size }
func (p pathInfo) Mode() os.FileMode  { return p.st.Mode }
func (p pathInfo) ModTime() time.Time { return p.st.Mtime }
func (p pathInfo) IsDir() bool        { return p.st.Mode.IsDir() }
func (p pathInfo) Sys() any           { return nil }

// Commit makes an image of a container's changes.
func (c *Client) Commit(ctx context.Context, ref string, o engine.CommitOptions) (*images.Image, error) {
	co := moby.ContainerCommitOptions{Reference: o.Reference,
		Comment: o.Comment, Author: o.Author, Changes: o.Changes, NoPause: !o.Pause}
	if o.Config != nil {
		co.Config = &container.Config{}
		if err := convert(co.Config, o.Config); err != nil {
			return nil, err
		}
	}
	res, err := c.api.ContainerCommit(ctx, ref, co)
	if err != nil {
		return nil, wire(err, "commit the container")
	}
	return c.InspectImage(ctx, res.ID)
}

// Diff lists the paths a container changed.
func (c *Client) Diff(ctx context.Context, ref string) ([]images.Change, error) {
	res, err := c.api.ContainerDiff(ctx, ref, moby.ContainerDiffOptions{})
	if err != nil {
		return nil, wire(err, "list the container's changes")
	}
	out := make([]images.Change, 0, len(res.Changes))
	for _, ch := range res.Changes {
		out = append(out, images.Change{Kind: images.ChangeKind(ch.Kind), Path: ch.Path})
	}
	return out, nil
}

// Export writes a tar of the container's root filesystem to w.
func (c *Client) Export(ctx context.Context, ref string, w io.Writer) error {
	rc, err := c.api.ContainerExport(ctx, ref, moby.ContainerExportOptions{})
	if err != nil {
		return wire(err, "export the container")
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return wire(err, "export the container")
	}
	return nil
}
