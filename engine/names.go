package engine

import (
	"math/rand/v2"
	"strconv"
)

var nameLeft = []string{
	"admiring", "brave", "busy", "calm", "clever", "eager", "focused", "gentle",
	"happy", "keen", "kind", "lucid", "nifty", "quirky", "serene", "sharp",
	"stoic", "tender", "vibrant", "witty", "zealous", "bold", "jolly", "modest",
}

var nameRight = []string{
	"babbage", "curie", "dijkstra", "euler", "feynman", "hopper", "kepler",
	"knuth", "lamport", "lovelace", "mccarthy", "noether", "pike", "ritchie",
	"shannon", "thompson", "torvalds", "turing", "wozniak", "hamilton",
}

// randomName makes a Docker-style name; after a few collisions it adds digits.
func randomName(try int) string {
	n := nameLeft[rand.IntN(len(nameLeft))] + "_" + nameRight[rand.IntN(len(nameRight))]
	if try > 2 {
		n += strconv.Itoa(rand.IntN(100))
	}
	return n
}
