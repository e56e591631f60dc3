package opts

// ParseOOMScoreAdj checks --oom-score-adj against the kernel's range.
func ParseOOMScoreAdj(n int) (int, error) {
	if n < -1000 || n > 1000 {
		return 0, invalid("invalid --oom-score-adj %d: want -1000 to 1000", n)
	}
	return n, nil
}
