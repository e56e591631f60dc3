package tui

import (
	"berth/engine"
	"context"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"berth/engine/events"
	"berth/views"
	"berth/views/buildview"
	"berth/views/containers"
	"berth/views/dialog"
	"berth/views/imagelist"
	"berth/views/logs"
	"berth/views/networks"
	"berth/views/pullview"
	"berth/views/runform"
	"berth/views/text"
	"berth/views/volumes"
)

// Panels, in tab order.
const (
	panelContainers = iota
	panelImages
	panelNetworks
	panelVolumes
	numPanels
)

var panelNames = [numPanels]string{"Containers", "Images", "Networks", "Volumes"}

// shortPanelNames fit the header of terminals under 100 columns.
var shortPanelNames = [numPanels]string{"Ctrs", "Images", "Nets", "Vols"}

// Container detail tabs.
const (
	tabLogs = iota
	tabStats
	tabInspect
	tabEnv
	tabPorts
	tabTop
	tabXray
	numContainerTabs
)

var containerTabs = [numContainerTabs]string{"Logs", "Stats", "Inspect", "Env", "Ports", "Top", "X-ray"}

// Image detail tabs.
const (
	tabImgInspect = iota
	tabImgHistory
	tabImgAudit
	numImageTabs
)

var imageTabs = [numImageTabs]string{"Inspect", "History", "Audit"}

// overlay is a full-screen pane over the panels.
type overlay int

const (
	overlayNone overlay = iota
	overlayHelp
	overlayCmdLog
	overlayOutput
)

// historyLen is how many stats samples per container the Stats tab keeps.
const historyLen = 180

// Model is the root model: the router between the views.
type Model struct {
	ctx     context.Context
	eng     Engine
	opts    Options
	th      views.Theme
	keys    keyMap
	now     func() time.Time
	width   int
	height  int
	panel   int
	detail  bool // focus on the detail pane
	cTab    int
	iTab    int
	nTab    int
	vTab    int
	overlay overlay

	ctrs   containers.Model
	imgs   imagelist.Model
	nets   networks.Model
	vols   volumes.Model
	logs   logs.Model
	pane   text.Model // Inspect, Env, Top, History
	output text.Model // output of ':' commands
	cmdlog text.Model
	help   text.Model

	hist map[string]*engine.StatsRing

	logKey    string
	logGen    int
	logCancel context.CancelFunc
	topKey    string
	topGen    int
	histKey   string
	auditStop context.CancelFunc // cancels the Audit tab's running audit
	xrayKey   string
	xrayGen   int

	filtering  bool
	filter     textinput.Model
	commanding bool
	command    textinput.Model

	dialog  *dialog.Model
	form    *runform.Model
	netForm *networks.Form
	volForm *volumes.Form
	pull    *pullview.Model

	buildForm   *buildview.Form
	build       *buildview.Model
	buildCancel context.CancelFunc
	buildGen    int

	pullCancel context.CancelFunc
	pullGen    int
	pending    pending

	banner      string
	bannerUntil time.Time
	info        string
	ticker      []events.Event
	host        engine.HostSample
	hostPrev    engine.HostSample
	hostCPU     float64
	listing     bool
	netListing  bool
	netRelist   bool
	volListing  bool
	volRelist   bool
	volShown    bool
	relist      bool
	ticks       int
	commands    []string
	imgsLoaded  bool
	statsOut    chan []engine.StatsSample
	imageList   []engine.Image
}

// New returns the root model for eng. ctx bounds every stream it starts.
func New(ctx context.Context, eng Engine, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Images == nil {
		opts.Images = imagesOf(eng)
	}
	if opts.Networks == nil {
		opts.Networks = networksOf(eng)
	}
	if opts.Volumes == nil {
		opts.Volumes = volumesOf(eng)
	}
	if opts.XRay == nil {
		opts.XRay = defaultXRay(eng)
	}
	f := textinput.New()
	f.Prompt = "/"
	c := textinput.New()
	c.Prompt = ":"
	return &Model{
		ctx: ctx, eng: eng, opts: opts, th: views.NewTheme(opts.NoColor), keys: newKeyMap(),
		now: opts.Now, ctrs: containers.New(), imgs: imagelist.New(), nets: networks.New(), vols: volumes.New(), logs: logs.New(),
		hist: map[string]*engine.StatsRing{}, filter: f, command: c, statsOut: make(chan []engine.StatsSample, 1),
	}
}

// Init loads the lists and starts the event, stats and clock streams.
func (m *Model) Init() tea.Cmd {
	m.listing = true
	cmds := []tea.Cmd{listContainers(m.ctx, m.eng), subscribeEvents(m.ctx, m.eng, m.now().Add(-tickerReplay)), tick(), readHostCmd(m.ctx, m.eng)}
	if m.opts.Images != nil {
		cmds = append(cmds, listImages(m.ctx, m.opts.Images))
	}
	cmds = append(cmds, m.refreshNetworks(), m.refreshVolumes())
	cmds = append(cmds, startStats(m.ctx, m.eng, m.statsOut), waitStats(m.statsOut))
	return tea.Batch(cmds...)
}

// Update routes a message to the view that owns it.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case tea.PasteMsg:
		if m.form != nil {
			return m, m.updateForm(msg)
		}
		if m.netForm != nil {
			return m, m.updateNetForm(msg)
		}
		if m.volForm != nil {
			return m, m.updateVolForm(msg)
		}
		if m.buildForm != nil {
			return m, m.updateBuildForm(msg)
		}
		return m, m.handleInput(msg)
	case tea.MouseMsg:
		return m, m.handleMouse(msg)
	}
	return m, m.handleData(msg)
}

// setBanner shows an error for a while.
func (m *Model) setBanner(err error) {
	if err == nil {
		return
	}
	m.banner = err.Error()
	m.bannerUntil = m.now().Add(8 * time.Second)
}
