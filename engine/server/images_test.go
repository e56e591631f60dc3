package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/images/build"
)

func TestImgQueryJSONMap(t *testing.T) {
	q := imgQuery{"buildargs": {`{"A":"1","B":null}`}, "labels": {`["x"]`}, "nums": {`{"A":1}`}}
	if m, err := q.jsonMap("buildargs"); err != nil || !reflect.DeepEqual(m, map[string]string{"A": "1"}) {
		t.Errorf("buildargs: %v %v", m, err)
	}
	for _, k := range []string{"labels", "nums"} {
		if _, err := q.jsonMap(k); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s: %v", k, err)
		}
	}
	if m, err := q.jsonMap("absent"); err != nil || len(m) != 0 {
		t.Errorf("absent: %v %v", m, err)
	}
}

func TestImageActionAndWithTag(t *testing.T) {
	for _, c := range []struct{ rest, name, action string }{
		{"busybox/json", "busybox", "json"},
		{"localhost:5000/team/app:1/history", "localhost:5000/team/app:1", "history"},
		{"json/json", "json", "json"},
		{"busybox", "busybox", ""},
		{"/json", "/json", ""},
	} {
		if n, a := imageAction(c.rest, "json", "history", "get"); n != c.name || a != c.action {
			t.Errorf("%q: %q %q", c.rest, n, a)
		}
	}
	for _, c := range []struct{ ref, tag, want string }{
		{"busybox", "", "busybox"},
		{"busybox", "1", "busybox:1"},
		{"busybox", "sha256:ab", "busybox@sha256:ab"},
		{"reg:5000/app", "2", "reg:5000/app:2"},
		{"reg:5000/app:1", "2", "reg:5000/app:1"},
	} {
		if got := withTag(c.ref, c.tag); got != c.want {
			t.Errorf("withTag(%q, %q) = %q, want %q", c.ref, c.tag, got, c.want)
		}
	}
}

func TestMatchingTags(t *testing.T) {
	tags := []string{"busybox:latest", "reg:5000/a/b:1", "app:2"}
	if got := matchingTags(tags, []string{"reg:5000/*/*", "app:2"}); !reflect.DeepEqual(got, []string{"reg:5000/a/b:1", "app:2"}) {
		t.Errorf("%v", got)
	}
	if got := matchingTags(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("no tags: %#v", got)
	}
}

// TestClassicStream: build events become the classic builder's messages.
func TestClassicStream(t *testing.T) {
	rec := httptest.NewRecorder()
	cs := &classicStream{st: newJSONStream(rec)}
	for _, ev := range []build.Event{
		{Kind: build.StageStarted, Instruction: "FROM busybox", Image: "sha256:0123456789abcdef", Total: 3},
		{Kind: build.StepStarted, Instruction: "RUN echo hi"},
		{Kind: build.StepContainer, Container: "fedcba9876543210aa"},
		{Kind: build.StepOutput, Output: "hi"},
		{Kind: build.StepDone, Image: "sha256:aaaaaaaaaaaabbbb"},
		{Kind: build.StepStarted, Instruction: "CMD x"},
		{Kind: build.StepCached, Image: "sha256:cccccccccccc"},
	} {
		cs.event(ev)
	}
	cs.finish("sha256:cccccccccccc", []string{"app"})
	var got []string
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			break
		}
		if s, ok := m["stream"].(string); ok {
			got = append(got, s)
		} else {
			b, _ := json.Marshal(m)
			got = append(got, string(b))
		}
	}
	want := []string{"Step 1/3 : FROM busybox\n", " ---> 0123456789ab\n", "Step 2/3 : RUN echo hi\n", " ---> Running in fedcba987654\n",
		"hi\n", " ---> Removed intermediate container fedcba987654\n", " ---> aaaaaaaaaaaa\n", "Step 3/3 : CMD x\n",
		" ---> Using cache\n", " ---> cccccccccccc\n", `{"aux":{"ID":"sha256:cccccccccccc"}}`, "Successfully built cccccccccccc\n",
		"Successfully tagged app:latest\n"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stream:\n%q\nwant\n%q", got, want)
	}
	em, _ := json.Marshal(errorMessage(errors.New("Dockerfile:2: RUN x: exit code: 3")))
	if string(em) != `{"errorDetail":{"message":"Dockerfile:2: RUN x: exit code: 3"},"error":"Dockerfile:2: RUN x: exit code: 3"}` {
		t.Errorf("error message: %s", em)
	}
}

func TestProgressBar(t *testing.T) {
	for _, c := range []struct {
		cur, total int64
		want       string
	}{
		{0, 100, "[>" + strings.Repeat(" ", 49) + "]       0B/100B"},
		{100, 100, "[" + strings.Repeat("=", 50) + "]     100B/100B"},
		{150, 100, "[" + strings.Repeat("=", 50) + "]     150B/100B"},
		{5, 0, "      5B"},
	} {
		if got := progressBar(c.cur, c.total); got != c.want {
			t.Errorf("progressBar(%d, %d) = %q, want %q", c.cur, c.total, got, c.want)
		}
	}
}
