package netmgr

import "golang.org/x/sys/unix"

func errNoRoute() error { return unix.ENETUNREACH }
