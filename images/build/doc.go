// Package build turns a Dockerfile into an image in berth's image store. It
// parses with BuildKit's Dockerfile parser, runs each RUN step through a
// Runner (the engine runs it as a container over the previous step's
// snapshot), turns each step's overlay upper dir into a layer with the same
// code as `docker commit`, and keeps a cache of steps keyed by the parent
// image, the instruction after substitution, the build args it uses and the
// content of what COPY and ADD read. It knows nothing of the engine.
package build
