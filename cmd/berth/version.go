package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/moby/moby/api/types/system"
	"github.com/spf13/cobra"

	"berth/engine"
)

// clientVersion is the client half of berth version, with the field names
// of docker version's Client.
type clientVersion struct {
	Platform   struct{ Name string }
	Version    string
	APIVersion string `json:"ApiVersion"`
	GitCommit  string
	GoVersion  string
	Os         string
	Arch       string
	BuildTime  string `json:",omitempty"`
}

// versionView is what berth version renders and --format sees: {{.Client.Version}},
// {{.Server.Version}}, {{json .}}.
type versionView struct {
	Client clientVersion
	Server *system.VersionResponse
}

// versionTemplate is docker version's layout.
const versionTemplate = `{{with .Client -}}
Client:{{if .Platform.Name}} {{.Platform.Name}}{{end}}
 Version:	{{.Version}}
 API version:	{{.APIVersion}}
 Go version:	{{.GoVersion}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
{{- end}}
{{- with .Server}}

Server:{{if .Platform.Name}} {{.Platform.Name}}{{end}}
{{- range $c := .Components}}
 {{$c.Name}}:
{{- if eq $c.Name "Engine"}}
  Version:	{{$c.Version}}
  API version:	{{index $c.Details "ApiVersion"}}{{with index $c.Details "MinAPIVersion"}} (minimum version {{.}}){{end}}
  Go version:	{{index $c.Details "GoVersion"}}
  Git commit:	{{index $c.Details "GitCommit"}}
  Built:	{{index $c.Details "BuildTime"}}
  OS/Arch:	{{index $c.Details "Os"}}/{{index $c.Details "Arch"}}
  Experimental:	{{index $c.Details "Experimental"}}
{{- else}}
  Version:	{{$c.Version}}
{{- range $k := detailKeys $c.Details}}
  {{$k}}:	{{index $c.Details $k}}
{{- end}}
{{- end}}
{{- end}}
{{- end}}
`

func (a *app) versionCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the berth version information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := versionView{Client: newClientVersion(engine.BuildInfo())}
			e, err := a.engine()
			if err == nil {
				v.Server, err = e.Version(cmd.Context())
			}
			if perr := printVersion(a.stdout, format, v); perr != nil {
				return perr
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "format the output using a Go template, or 'json'")
	return cmd
}

func newClientVersion(b engine.Build) clientVersion {
	c := clientVersion{Version: b.Version, APIVersion: engine.APIVersion, GitCommit: b.GitCommit,
		GoVersion: b.GoVersion, Os: b.Os, Arch: b.Arch, BuildTime: reformatDate(b.BuildTime)}
	c.Platform.Name = "berth"
	return c
}

// printVersion renders v with docker version's layout, or with format.
func printVersion(w io.Writer, format string, v versionView) error {
	if v.Server != nil {
		s := *v.Server
		s.BuildTime = reformatDate(s.BuildTime)
		s.Components = make([]system.ComponentVersion, len(v.Server.Components))
		for i, c := range v.Server.Components {
			c.Details = maps.Clone(c.Details)
			if bt, ok := c.Details["BuildTime"]; ok {
				c.Details["BuildTime"] = reformatDate(bt)
			}
			s.Components[i] = c
		}
		v.Server = &s
	}
	if format != "" {
		return printOne(w, format, v)
	}
	t := template.Must(template.New("version").Funcs(template.FuncMap{"detailKeys": detailKeys}).Parse(versionTemplate))
	tw := tabwriter.NewWriter(w, 20, 1, 1, ' ', 0)
	if err := t.Execute(tw, v); err != nil {
		return fmt.Errorf("version template: %w", err)
	}
	return tw.Flush()
}

// detailKeys orders a component's details, GitCommit first as Docker does.
func detailKeys(d map[string]string) []string {
	keys := slices.Sorted(maps.Keys(d))
	if i := slices.Index(keys, "GitCommit"); i > 0 {
		keys = append([]string{"GitCommit"}, slices.Delete(keys, i, i+1)...)
	}
	return keys
}

// reformatDate shows an RFC 3339 time as docker version does
// ("Thu Oct 26 09:08:01 2023"); anything else is shown as it is.
func reformatDate(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.Format(time.ANSIC)
}

// versionLine is what berth --version prints after "berth version ":
// "dev, build b75dc9a", as docker --version does.
func versionLine(b engine.Build) string {
	if b.GitCommit == "" {
		return b.Version
	}
	return b.Version + ", build " + b.GitCommit
}
