package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/events"
	"berth/netmgr"
)

// TestLinksNameTheLinkedContainer: --link NAME:ALIAS makes ALIAS reach the
// linked container, on the default bridge and on a user-defined network
// (docker-compose run links a one-off container to its dependencies).
func TestLinksNameTheLinkedContainer(t *testing.T) {
	e := newEngine(t)
	mustNet(t, e, netmgr.CreateOptions{Name: "linktest"})
	for _, mode := range []string{"", "linktest"} {
		target := startNamed(t, e, onNet(mode, "db"+mode, "httpd", "-f", "-p", "80", "-h", "/etc"))
		o := onNet(mode, "app"+mode, "sh", "-c", "wget -qO- http://store/hostname && grep -w store /etc/hosts")
		o.HostConfig.Links = []string{target.Name[1:] + ":store"}
		out, stderr, code := runAttached(t, e, o)
		if code != 0 || !strings.HasPrefix(out, target.Config.Hostname+"\n") {
			t.Fatalf("network %q: exit %d, %q %q; want the linked container's hostname", mode, code, out, stderr)
		}
		ip := target.NetworkSettings.Networks[orBridge(mode)].IPAddress
		if !strings.Contains(out, ip+"\tstore "+target.ID[:12]+" "+target.Name[1:]) {
			t.Errorf("network %q: /etc/hosts line %q, want the alias at %s", mode, out, ip)
		}
	}
}

func orBridge(mode string) string {
	if mode == "" {
		return "bridge"
	}
	return mode
}

// TestLinksBadInput: a link to no container, from the host's network, or
// malformed is refused at create with nothing made; a link to a stopped
// container fails the start.
func TestLinksBadInput(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	stopped := startNamed(t, e, onNet("", "stopped", "true"))
	if _, err := e.Wait(ctx, stopped.ID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode, link, want string
	}{
		{"", "nosuch:db", "cannot link to nosuch: no such container"},
		{"host", "stopped", "conflicting options: host type networking can't be used with links"},
		{"", "stopped:", ""},
		{"", ":alias", "invalid link \":alias\": want name or name:alias"},
	} {
		o := onNet(tc.mode, "", "true")
		o.HostConfig.Links = []string{tc.link}
		c, err := e.Create(ctx, o)
		if tc.want == "" {
			if err != nil {
				t.Errorf("link %q: %v", tc.link, err)
			} else {
				e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true})
			}
			continue
		}
		if !errdefs.IsInvalidArgument(err) || err.Error() != tc.want {
			t.Errorf("link %q on %q: %v, want invalid argument %q", tc.link, tc.mode, err, tc.want)
		}
	}
	o := onNet("", "linker", "true")
	o.HostConfig.Links = []string{"stopped:db"}
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	err = e.Start(ctx, c.ID, engine.StartOptions{})
	if !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "cannot link to a non-running container: stopped as db") {
		t.Fatalf("start linked to a stopped container: %v", err)
	}
	if got, _ := e.Inspect(ctx, c.ID); got == nil || got.State.Running {
		t.Errorf("container after the failed start: %+v", got)
	}
	if list, _ := e.List(ctx, true); len(list) != 2 {
		t.Errorf("%d containers after the bad input, want the 2 made", len(list))
	}
}

// TestFailedStartRemovesAnAutoRemoveContainer: as Docker, an --rm container
// whose start fails is removed (docker run --rm waits for the removal).
func TestFailedStartRemovesAnAutoRemoveContainer(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	stopped := startNamed(t, e, onNet("", "gone", "true"))
	if _, err := e.Wait(ctx, stopped.ID); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	o := onNet("", "once", "true")
	o.HostConfig.AutoRemove, o.HostConfig.Links = true, []string{"gone:db"}
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err == nil {
		t.Fatal("start linked to a stopped container succeeded")
	}
	if _, err := e.Inspect(ctx, c.ID); !errdefs.IsNotFound(err) {
		t.Fatalf("the --rm container after its failed start: %v, want it removed", err)
	}
	ch, _ := e.Subscribe(ctx, events.Filter{Since: since, Until: time.Now(), Types: []string{"container"}})
	var actions []string
	for ev := range ch {
		if ev.ID == c.ID {
			actions = append(actions, ev.Action)
		}
	}
	if len(actions) == 0 || actions[len(actions)-1] != "destroy" {
		t.Errorf("events of the --rm container: %v, want it to end with destroy", actions)
	}
	// Without --rm the container stays, as Docker leaves it.
	o.Name, o.HostConfig.AutoRemove = "kept", false
	if c, err = e.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err == nil {
		t.Fatal("start linked to a stopped container succeeded")
	}
	if _, err := e.Inspect(ctx, c.ID); err != nil {
		t.Errorf("a container without --rm after its failed start: %v", err)
	}
}

// TestConsoleSizeIsTheFirstSize: a TTY container made with a console size
// starts at that size; a size no terminal has is refused at create.
func TestConsoleSizeIsTheFirstSize(t *testing.T) {
	e := newEngine(t)
	o := onNet("none", "sized", "stty", "size")
	o.Config.Tty, o.HostConfig.ConsoleSize = true, [2]uint{33, 111}
	out, _, code := runAttached(t, e, o)
	if code != 0 || strings.TrimSpace(out) != "33 111" {
		t.Errorf("stty size: exit %d, %q; want 33 111", code, out)
	}
	o.Name, o.HostConfig.ConsoleSize = "huge", [2]uint{70000, 80}
	if _, err := e.Create(context.Background(), o); !errdefs.IsInvalidArgument(err) ||
		err.Error() != "console size 70000x80 is too large: a terminal has at most 65535 rows and columns" {
		t.Errorf("console size 70000x80: %v", err)
	}
}
