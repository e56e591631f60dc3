// Package statsview is the Stats tab: CPU % and memory graphs (braille)
// over the sampler's history for one container, its current values and
// limits, CFS throttling, OOM kills, PIDs and network and block I/O rates.
package statsview

import (
	"berth/engine"
	"fmt"
	"strings"

	"berth/views"
)

// Limits are the container's configured limits, for scaling and labels.
type Limits struct {
	// CPUs is the --cpus limit (0 = none).
	CPUs float64
	// Memory is the --memory limit in bytes (0 = none).
	Memory int64
}

// Rates are per-second I/O rates between the last two samples.
type Rates struct{ NetRx, NetTx, BlkRead, BlkWrite float64 }

// ComputeRates returns the I/O rates between the last two samples of hist.
func ComputeRates(hist []engine.StatsSample) Rates {
	if len(hist) < 2 {
		return Rates{}
	}
	a, b := hist[len(hist)-2], hist[len(hist)-1]
	dt := b.Time.Sub(a.Time).Seconds()
	if dt <= 0 {
		return Rates{}
	}
	rate := func(x, y uint64) float64 {
		if y < x {
			return 0
		}
		return float64(y-x) / dt
	}
	return Rates{rate(a.NetRxBytes, b.NetRxBytes), rate(a.NetTxBytes, b.NetTxBytes),
		rate(a.BlkRead, b.BlkRead), rate(a.BlkWrite, b.BlkWrite)}
}

// Render draws the tab's content in width×height cells (no box).
func Render(th views.Theme, hist []engine.StatsSample, lim Limits, width, height int) []string {
	if len(hist) == 0 {
		return []string{th.Dim.Render("  no samples yet — stats are sampled every second while the container runs")}
	}
	cur := hist[len(hist)-1]
	if cur.Err != nil {
		return []string{th.Bad.Render("  " + cur.Err.Error())}
	}
	cpus, mems := make([]float64, len(hist)), make([]float64, len(hist))
	peakCPU, peakMem := 0.0, 0.0
	for i, s := range hist {
		cpus[i], mems[i] = s.CPUPercent, float64(s.MemUsage)
		peakCPU, peakMem = max(peakCPU, s.CPUPercent), max(peakMem, mems[i])
	}
	cpuTop := 100.0
	if lim.CPUs > 0 {
		cpuTop = lim.CPUs * 100
	}
	cpuTop = max(cpuTop, peakCPU)
	memTop := float64(cur.MemLimit)
	if lim.Memory <= 0 {
		memTop = max(peakMem*1.25, 1<<20)
	}
	textRows := 4
	graphRows := max((height-textRows)/2, 1)
	out := []string{cpuLine(th, cur, lim)}
	out = append(out, graph(th, cpus, width, graphRows, cpuTop, fmt.Sprintf("%.0f%%", cpuTop))...)
	out = append(out, memLine(th, cur, lim))
	out = append(out, graph(th, mems, width, graphRows, memTop, views.HumanBytes(uint64(memTop)))...)
	r := ComputeRates(hist)
	out = append(out, fmt.Sprintf("%s rx %s tx %s   %s read %s write %s",
		th.Title.Render("NET"), views.HumanRate(r.NetRx), views.HumanRate(r.NetTx),
		th.Title.Render("BLOCK"), views.HumanRate(r.BlkRead), views.HumanRate(r.BlkWrite)))
	out = append(out, th.Dim.Render(fmt.Sprintf("%d samples, 1 per second; 100%% = one core", len(hist))))
	return out
}

func cpuLine(th views.Theme, s engine.StatsSample, lim Limits) string {
	limit := "no limit"
	if lim.CPUs > 0 {
		limit = fmt.Sprintf("limit %.2g CPUs", lim.CPUs)
	}
	thr := fmt.Sprintf("throttled %d periods (%.1fs)", s.NrThrottled, float64(s.ThrottledNS)/1e9)
	if s.NrThrottled > 0 {
		thr = th.Warn.Render(thr)
	}
	return fmt.Sprintf("%s %5.1f%%  %s  %s", th.Title.Render("CPU"), s.CPUPercent, th.Dim.Render(limit), thr)
}

func memLine(th views.Theme, s engine.StatsSample, lim Limits) string {
	limit := views.HumanBytes(s.MemLimit) + " (host)"
	if lim.Memory > 0 {
		limit = views.HumanBytes(uint64(lim.Memory))
	}
	oom := fmt.Sprintf("OOM kills %d", s.OOMKills)
	if s.OOMKills > 0 {
		oom = th.Bad.Render(oom)
	}
	pids := fmt.Sprintf("PIDs %d", s.PIDs)
	if s.PIDsLimit > 0 {
		pids += fmt.Sprintf("/%d", s.PIDsLimit)
	}
	return fmt.Sprintf("%s %s / %s (%.1f%%)  %s  %s", th.Title.Render("MEM"),
		views.HumanBytes(s.MemUsage), limit, s.MemPercent, oom, pids)
}

// graph draws a braille chart with its top value labelled on the right.
func graph(th views.Theme, vals []float64, width, rows int, top float64, label string) []string {
	lw := max(len(label), 8) + 1
	g := views.Graph(vals, max(width-lw-1, 1), rows, top)
	for i := range g {
		axis := strings.Repeat(" ", lw)
		if i == 0 {
			axis = " " + views.Fit(label, lw-1)
		}
		if i == len(g)-1 && rows > 1 {
			axis = " " + views.Fit("0", lw-1)
		}
		g[i] = th.Info.Render(g[i]) + th.Dim.Render("┤"+axis)
	}
	return g
}
