package dnsd

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"berth/netmgr/nettest"
)

// resolverFor is a resolver that sends every query to addr.
func resolverFor(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func startServer(t *testing.T, files, upstreams []string) *Server {
	t.Helper()
	s, err := Listen("", "127.0.0.1:0", files, upstreams)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func TestAnswersNamesAndForwards(t *testing.T) {
	dir := t.TempDir()
	netA, netB := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := WriteNames(netA, Names{"api": {"10.89.0.2"}, "www": {"10.89.0.2"}}); err != nil {
		t.Fatal(err)
	}
	upFile := filepath.Join(dir, "up.json")
	WriteNames(upFile, Names{"example.internal": {"192.0.2.7"}})
	upstream := startServer(t, []string{upFile}, nil)
	s := startServer(t, []string{netA, netB}, []string{upstream.LocalAddr().String()})
	r := resolverFor(s.LocalAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tests := []struct {
		name string
		want []string
	}{
		{"api", []string{"10.89.0.2"}}, {"WWW", []string{"10.89.0.2"}}, {"example.internal", []string{"192.0.2.7"}},
	}
	for _, tt := range tests {
		got, err := r.LookupHost(ctx, tt.name)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v %v, want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := r.LookupHost(ctx, "nosuch"); err == nil {
		t.Error("unknown name resolved")
	}
	// A container that joins later: its network's file changes, it resolves.
	time.Sleep(10 * time.Millisecond)
	WriteNames(netB, Names{"late": {"10.90.0.5"}})
	if got, err := r.LookupHost(ctx, "late"); err != nil || !slices.Equal(got, []string{"10.90.0.5"}) {
		t.Errorf("late joiner: %v %v", got, err)
	}
}

func TestMalformedQueriesAreIgnored(t *testing.T) {
	s := startServer(t, nil, nil)
	c, err := net.Dial("udp", s.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range [][]byte{{}, {1, 2, 3}, make([]byte, 600)} {
		c.Write(q)
	}
	// The server still answers a good query afterwards.
	if _, err := resolverFor(s.LocalAddr().String()).LookupHost(context.Background(), "x"); err == nil {
		t.Error("empty server resolved a name")
	}
}

func FuzzAnswer(f *testing.F) {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 7, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName("api."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
	q, _ := b.Finish()
	f.Add(q)
	f.Add([]byte{0, 1, 0, 0, 0, 1})
	dir := f.TempDir()
	file := filepath.Join(dir, "n.json")
	WriteNames(file, Names{"api": {"10.0.0.2", "fd00::2"}})
	s := &Server{files: []string{file}, stamp: map[string]time.Time{}}
	f.Fuzz(func(t *testing.T, q []byte) {
		if out, ok := s.answer(q); ok {
			var p dnsmessage.Parser
			if _, err := p.Start(out); err != nil {
				t.Fatalf("reply does not parse: %v", err)
			}
		}
	})
}

func TestListenInsideANetworkNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	ns := nettest.NewNamespace(t) // unnamed, held by a descriptor: nothing left on the host
	file := filepath.Join(t.TempDir(), "n.json")
	WriteNames(file, Names{"db": {"10.89.3.4"}})
	path := ns.Path()
	s, err := Listen(path, Address, []string{file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	defer func() { // the socket is closed before the namespace goes
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	var c net.Conn
	if err := inNetns(path, func() (err error) { c, err = net.Dial("udp", Address); return err }); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 9, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName("db."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
	q, _ := b.Finish()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write(q)
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("query inside the namespace: %v", err)
	}
	var msg dnsmessage.Message
	if err := msg.Unpack(buf[:n]); err != nil || len(msg.Answers) != 1 {
		t.Fatalf("reply: %v %+v", err, msg)
	}
	if a, ok := msg.Answers[0].Body.(*dnsmessage.AResource); !ok || a.A != [4]byte{10, 89, 3, 4} {
		t.Errorf("answer %v", msg.Answers[0].Body)
	}
}
