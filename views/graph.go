package views

import (
	"strings"
	"unicode/utf8"
)

var blocks = []rune(" ▁▂▃▄▅▆▇█")

// Sparkline draws the last width values as block characters scaled to top
// (values at or above top fill the cell); missing history is blank.
func Sparkline(values []float64, width int, top float64) string {
	if width <= 0 {
		return ""
	}
	if top <= 0 {
		top = 1
	}
	if len(values) > width {
		values = values[len(values)-width:]
	}
	var b strings.Builder
	b.Grow(width * 3)
	for i := 0; i < width-len(values); i++ {
		b.WriteByte(' ')
	}
	for _, v := range values {
		idx := int(v / top * float64(len(blocks)-1))
		if v > 0 && idx == 0 {
			idx = 1
		}
		b.WriteRune(blocks[min(max(idx, 0), len(blocks)-1)])
	}
	return b.String()
}

// braille dot bits by [column][row] within one cell (2 columns × 4 rows).
var brailleBits = [2][4]rune{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// Graph draws values as a braille area chart of width×height cells (two
// samples per cell, four dot rows per line), scaled from 0 to top, newest on
// the right. It returns height lines.
func Graph(values []float64, width, height int, top float64) []string {
	if width <= 0 || height <= 0 {
		return nil
	}
	if top <= 0 {
		top = 1
	}
	cols := width * 2
	if len(values) > cols {
		values = values[len(values)-cols:]
	}
	grid := make([][]rune, height)
	for i := range grid {
		grid[i] = make([]rune, width)
		for j := range grid[i] {
			grid[i][j] = 0x2800
		}
	}
	dots := height * 4
	start := cols - len(values)
	for i, v := range values {
		x := start + i
		n := int(v/top*float64(dots) + 0.5)
		if v > 0 && n == 0 {
			n = 1
		}
		n = min(n, dots)
		for d := 0; d < n; d++ { // d counts dots from the bottom
			row := height - 1 - d/4
			grid[row][x/2] |= brailleBits[x%2][3-d%4]
		}
	}
	out := make([]string, height)
	for i, r := range grid {
		var b strings.Builder
		b.Grow(width * utf8.UTFMax)
		for _, c := range r {
			if c == 0x2800 {
				b.WriteByte(' ')
			} else {
				b.WriteRune(c)
			}
		}
		out[i] = b.String()
	}
	return out
}

// FuzzyScore reports whether every rune of pattern appears in s in order
// (case-insensitive) and a score that prefers contiguous and early matches;
// higher is better. An empty pattern matches everything with score 0.
func FuzzyScore(pattern, s string) (int, bool) {
	if pattern == "" {
		return 0, true
	}
	p := []rune(strings.ToLower(pattern))
	ls := strings.ToLower(s)
	if i := strings.Index(ls, string(p)); i >= 0 {
		return 1000 - i, true
	}
	score, pi, prev := 0, 0, -2
	for i, r := range []rune(ls) {
		if pi < len(p) && r == p[pi] {
			if i == prev+1 {
				score += 5
			}
			score++
			prev = i
			pi++
		}
	}
	return score, pi == len(p)
}
