package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/engine/inspect"
	"berth/views"
	"berth/views/dialog"
	vviews "berth/views/volumes"
)

// VolumeStore is what the UI needs of the engine's volumes; the engine's
// volume API provides it (see volumesOf).
type VolumeStore interface {
	// List returns the volumes that pass filters (nil: all).
	List(ctx context.Context, filters map[string][]string) ([]engine.Volume, error)
	// Create makes a volume ("" names it randomly).
	Create(ctx context.Context, name string, labels map[string]string) (*engine.Volume, error)
	// Remove deletes a volume; one in use is errdefs.ErrConflict.
	Remove(ctx context.Context, name string, force bool) error
	// Prune removes unused volumes (anonymous only unless all) and returns
	// their names and the bytes reclaimed.
	Prune(ctx context.Context, all bool) ([]string, uint64, error)
	// SizeAsync returns the last known size of a volume's data without
	// blocking, starting a background walk when it is missing or stale.
	SizeAsync(ctx context.Context, name string) (int64, bool)
}

// volumer is an engine that reads and changes volumes, recording a volume
// event for each change (*engine.Engine).
type volumer interface {
	ListVolumes(ctx context.Context, filters map[string][]string) ([]engine.Volume, error)
	VolumeSize(ctx context.Context, name string) (int64, bool)
	CreateVolume(ctx context.Context, o engine.VolumeCreateOptions) (*engine.Volume, error)
	RemoveVolume(ctx context.Context, name string, force bool) error
	PruneVolumes(ctx context.Context, filters map[string][]string) ([]string, uint64, error)
}

// engineVolumes is the VolumeStore of an engine: it reads and makes every
// change through the engine's API, so that other berth processes see the
// changes in the events log.
type engineVolumes struct{ eng volumer }

func (v engineVolumes) List(ctx context.Context, filters map[string][]string) ([]engine.Volume, error) {
	return v.eng.ListVolumes(ctx, filters)
}

func (v engineVolumes) SizeAsync(ctx context.Context, name string) (int64, bool) {
	return v.eng.VolumeSize(ctx, name)
}

func (v engineVolumes) Create(ctx context.Context, name string, labels map[string]string) (*engine.Volume, error) {
	return v.eng.CreateVolume(ctx, engine.VolumeCreateOptions{Name: name, Labels: labels})
}

func (v engineVolumes) Remove(ctx context.Context, name string, force bool) error {
	return v.eng.RemoveVolume(ctx, name, force)
}

func (v engineVolumes) Prune(ctx context.Context, all bool) ([]string, uint64, error) {
	filters := map[string][]string{}
	if all {
		filters["all"] = []string{"true"}
	}
	return v.eng.PruneVolumes(ctx, filters)
}

// volumesOf returns the VolumeStore of eng, or nil when it has none.
func volumesOf(eng Engine) VolumeStore {
	if v, ok := eng.(volumer); ok {
		return engineVolumes{v}
	}
	return nil
}

// Volume detail tabs.
const (
	tabVolInspect = iota
	tabVolContainers
	numVolTabs
)

var volTabs = [numVolTabs]string{"Inspect", "Containers"}

// volumeRefreshEvery is how many clock ticks (seconds) pass between re-lists
// of the volumes (and their sizes) while the panel shows.
const volumeRefreshEvery = 3

// volumesMsg is one listing of the volumes with their known sizes.
type volumesMsg struct {
	rows []vviews.Row
	err  error
}

// listVolumes reads the volumes and their cached sizes in a command.
func listVolumes(ctx context.Context, vs VolumeStore) tea.Cmd {
	return func() tea.Msg {
		vols, err := vs.List(ctx, nil)
		if err != nil {
			return volumesMsg{err: fmt.Errorf("list volumes: %w", err)}
		}
		rows := make([]vviews.Row, len(vols))
		for i, v := range vols {
			rows[i].Vol = v
			rows[i].Size, rows[i].SizeKnown = vs.SizeAsync(ctx, v.Name)
		}
		return volumesMsg{rows: rows}
	}
}

// refreshVolumes re-lists the volumes now, or right after the list in flight.
func (m *Model) refreshVolumes() tea.Cmd {
	if m.opts.Volumes == nil {
		return nil
	}
	if m.volListing {
		m.volRelist = true
		return nil
	}
	m.volListing = true
	return listVolumes(m.ctx, m.opts.Volumes)
}

func (m *Model) onVolumes(msg volumesMsg) tea.Cmd {
	m.volListing = false
	m.setBanner(msg.err)
	if msg.err == nil {
		m.vols.SetRows(msg.rows)
	}
	m.syncVolDetail()
	if m.volRelist {
		m.volRelist = false
		return m.refreshVolumes()
	}
	return nil
}

// syncVolDetail fills the detail pane of the selected volume.
func (m *Model) syncVolDetail() {
	r, ok := m.vols.Selected()
	if m.panel != panelVolumes || !ok {
		return
	}
	if m.vTab == tabVolInspect {
		m.pane.SetHeader("")
		m.pane.SetLines("vinspect:"+r.Vol.Name, jsonLines([]inspect.Volume{inspect.VolumeOf(r.Vol)}))
		return
	}
	hdr, lines := vviews.ContainerLines(m.th, r, m.allContainers())
	m.pane.SetHeader(hdr)
	m.pane.SetLines("vctrs:"+r.Vol.Name, lines)
}

func (m *Model) volumeDetail(w, h int) string {
	r, ok := m.vols.Selected()
	if !ok {
		return views.Box(m.th, volTabs[m.vTab], []string{m.th.Dim.Render("  select a volume")}, w, h, m.detail)
	}
	title := "Inspect " + vviews.ShortName(r.Vol)
	if m.vTab == tabVolContainers {
		title = fmt.Sprintf("Containers mounting %s — %d, each sees %s at its destination", vviews.ShortName(r.Vol), len(r.Vol.UsedBy), r.Vol.Mountpoint)
	}
	return m.pane.View(m.th, title, w, h, m.detail)
}

// volumeKey runs the Volumes panel's actions: n create, d remove, P prune.
func (m *Model) volumeKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	if m.opts.Volumes == nil {
		return nil, false
	}
	km := m.keys
	switch {
	case key.Matches(k, km.Run):
		f, cmd := vviews.NewForm()
		m.volForm = &f
		return cmd, true
	case key.Matches(k, km.Remove):
		m.askRemoveVolume()
	case key.Matches(k, km.Prune):
		m.askPruneVolumes()
	default:
		return nil, false
	}
	return nil, true
}

func (m *Model) askRemoveVolume() {
	r, ok := m.vols.Selected()
	if !ok {
		return
	}
	if uses := vviews.UsesOf(r.Vol.Name, m.allContainers()); len(r.Vol.UsedBy) > 0 {
		var names []string
		for _, u := range uses {
			names = append(names, u.Container)
		}
		m.setBanner(fmt.Errorf("%s is in use by %d container(s) — remove them first (%s)",
			vviews.ShortName(r.Vol), len(r.Vol.UsedBy), strings.Join(names, ", ")))
		return
	}
	lines := []string{"The volume " + r.Vol.Name + " and its data go:", "  " + r.Vol.Mountpoint}
	m.openDialog(dialog.NewConfirm("Remove volume "+vviews.ShortName(r.Vol)+"?", lines), pending{verb: "volrm", name: r.Vol.Name})
}

func (m *Model) askPruneVolumes() {
	gone := vviews.Prunable(m.vols.Rows())
	lines := []string{"Every anonymous volume no container uses goes (named ones stay):"}
	for i, r := range gone {
		if i == 12 {
			lines = append(lines, fmt.Sprintf("  … and %d more", len(gone)-i))
			break
		}
		size := "…"
		if r.SizeKnown {
			size = views.HumanBytes(uint64(max(r.Size, 0)))
		}
		lines = append(lines, "  "+vviews.ShortName(r.Vol)+"  "+size)
	}
	if len(gone) == 0 {
		lines = []string{"No unused anonymous volumes: nothing to prune."}
	}
	m.openDialog(dialog.NewConfirm(fmt.Sprintf("Prune %d unused volume(s)?", len(gone)), lines), pending{verb: "volprune"})
}

// runVolumeAction runs an accepted volume remove or prune.
func (m *Model) runVolumeAction(p pending) tea.Cmd {
	vs, parent := m.opts.Volumes, m.ctx
	switch p.verb {
	case "volrm":
		m.logCommand("berth volume rm " + p.name)
		return doAction(parent, "volume rm", []string{p.name}, func(ctx context.Context, name string) error {
			return vs.Remove(ctx, name, false)
		})
	case "volprune":
		m.logCommand("berth volume prune -f")
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(parent, actionTimeout)
			defer cancel()
			gone, bytes, err := vs.Prune(ctx, false)
			return actionMsg{verb: "volume prune", err: err,
				info: fmt.Sprintf("pruned %d volume(s), reclaimed %s", len(gone), views.HumanBytes(bytes))}
		}
	}
	return nil
}

func (m *Model) updateVolForm(msg tea.Msg) tea.Cmd {
	f, cmd, res, done := m.volForm.Update(msg)
	m.volForm = &f
	if !done {
		return cmd
	}
	m.volForm = nil
	if res == nil {
		return nil
	}
	m.logCommand(res.Command)
	vs, parent, name, ls := m.opts.Volumes, m.ctx, res.Name, res.Labels
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, actionTimeout)
		defer cancel()
		v, err := vs.Create(ctx, name, ls)
		if err != nil {
			return actionMsg{verb: "volume create", err: fmt.Errorf("volume create %s: %w", name, err)}
		}
		return actionMsg{verb: "volume create", info: "created volume " + vviews.ShortName(*v)}
	}
}

// allContainers is every container in the list, for the volume pages.
func (m *Model) allContainers() []*engine.Container {
	rows := m.ctrs.Rows()
	out := make([]*engine.Container, len(rows))
	for i, r := range rows {
		out[i] = r.C
	}
	return out
}

// isVolumeVerb says an action changed volumes.
func isVolumeVerb(verb string) bool { return strings.HasPrefix(verb, "volume ") }
