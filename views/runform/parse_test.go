package runform

import (
	"errors"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
)

func TestParsers(t *testing.T) {
	t.Setenv("BERTH_RUNFORM_TEST", "from-here")
	env, err := ParseEnv(`A=1,B=2 C="x y" BERTH_RUNFORM_TEST BERTH_RUNFORM_UNSET`)
	if err != nil || !slices.Equal(env, []string{"A=1", "B=2", "C=x y", "BERTH_RUNFORM_TEST=from-here"}) {
		t.Errorf("ParseEnv = %q, %v", env, err)
	}
	for _, bad := range []string{"=1", `A="x`, `"A B=1"`} {
		if _, err := ParseEnv(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseEnv(%q) = %v", bad, err)
		}
	}
	if q := Quote("sleep 1"); q != "'sleep 1'" {
		t.Errorf("Quote = %s", q)
	}
}

func FuzzParseEnv(f *testing.F) {
	f.Add(`A=1,B=2 C="x y"`)
	f.Add("=")
	f.Fuzz(func(t *testing.T, s string) {
		env, err := ParseEnv(s)
		if err == nil {
			for _, e := range env {
				if e == "" || e[0] == '=' {
					t.Errorf("%q gave %q", s, env)
				}
			}
		}
	})
}
