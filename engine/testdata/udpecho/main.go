// Command udpecho answers every UDP datagram with "echo:" and its content;
// the engine's network tests run it in a container to test UDP publishing.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	addr := ":5353"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			os.Exit(1)
		}
		c.WriteTo(append([]byte("echo:"), buf[:n]...), from)
	}
}
