package images

// TempDir makes a private, locked directory under the store's tmp dir for a
// caller's scratch files (a build's secrets, heredocs, downloads); done
// removes it. A process killed while holding one leaves it to the next
// engine open, which removes every such directory whose lock is free (see
// sweepTemps) — so nothing a build copied, a secret included, outlives it.
func (s *Store) TempDir(prefix string) (dir string, done func(), err error) {
	return s.tmpDir(prefix)
}
