package main

import (
	"archive/tar"
	"bytes"
)

// dockerBuildCase is one Dockerfile built by berth and by Docker's classic
// builder, whose image configs and final filesystems must agree.
type dockerBuildCase struct {
	name       string
	dockerfile string
	// base, when set, is built first under the tag "cmp-base" by each
	// builder (for ONBUILD).
	base string
	// args are more build flags for both builders (--build-arg ...).
	args []string
	// classicFails marks a Dockerfile Docker's classic builder rejects where
	// BuildKit (and berth, deliberately) accepts it; want then holds the
	// config values berth must give instead of a comparison.
	classicFails string
	want         map[string]any
	// buildkitOwners are files whose owner Docker's classic builder and
	// BuildKit set differently, where berth follows BuildKit: berth's must be
	// these (checked against dockerd 20.10's BuildKit when its CLI is there),
	// the rest of the entry as the classic builder made it.
	buildkitOwners map[string][2]int
}

// dockerBuildContext is the context every case builds from.
var dockerBuildContext = map[string]string{
	"app.txt":          "application\n",
	"dir/one.txt":      "one\n",
	"dir/sub/two.txt":  "two\n",
	"script.sh":        "#!/bin/sh\necho script\n",
	"with space/x.txt": "spaced\n",
	"archive.tar":      string(archiveTar()),
	"plain.tar.txt":    "not a tar\n",
}

var dockerBuildCases = []dockerBuildCase{
	{name: "multistage", dockerfile: `FROM busybox AS builder
WORKDIR /src
COPY app.txt .
COPY dir ./dir/
RUN mkdir -p /out && cp app.txt /out/app && chmod 0751 /out/app && echo built > /out/note \
 && ln -s app /out/link && chown 1000:1000 /out/note && mkdir -m 0700 /out/private
FROM busybox AS unused
RUN echo nope > /nope
FROM busybox
COPY --from=builder /out /opt/
COPY --from=builder --chown=10:20 /out/note /owned
COPY --from=0 /src/dir /copied-dir
COPY --from=builder /src/app.txt /src/dir/one.txt /many/
CMD ["cat", "/opt/app"]
`},
	{name: "env", dockerfile: `FROM busybox
ENV A=1 B="two words" C=$A-x
ENV D old style with spaces
ENV E=${A}${B} A=changed F=$A
RUN echo "$A|$B|$C|$D|$E|$F" > /env.txt
CMD echo $A $B $C
`},
	{name: "args", args: []string{"--build-arg", "GIVEN=from-flag"}, dockerfile: `ARG GLOBAL=g1
ARG BASE=busybox
FROM $BASE AS first
ARG GLOBAL
ARG LOCAL=default
ARG UNSET
ARG GIVEN=dflt
ENV FROMARG=$LOCAL-$GLOBAL-$GIVEN
RUN echo "$GLOBAL $LOCAL ${UNSET:-none} $GIVEN" > /args.txt
FROM first
RUN echo "global=${GLOBAL:-out} local=${LOCAL:-out}" > /args2.txt
ARG LOCAL=second
ENV LOCAL_COPY=$LOCAL
RUN echo "local=$LOCAL" >> /args2.txt
`},
	{name: "workdir-user", dockerfile: `FROM busybox
WORKDIR /a
WORKDIR b
WORKDIR ../c/d
RUN touch here
COPY app.txt rel.txt
USER nobody
WORKDIR /made-as-nobody/sub
USER 1000:1000
RUN id -u > /tmp/uid
`, buildkitOwners: map[string][2]int{
		// BuildKit makes a WORKDIR owned by the USER, the classic builder root's.
		"made-as-nobody": {65534, 65534}, "made-as-nobody/sub": {65534, 65534},
	}},
	{name: "metadata", dockerfile: `FROM busybox
EXPOSE 80 53/udp 8000-8001
EXPOSE 9090/tcp
VOLUME /data
VOLUME ["/logs", "/cache"]
LABEL a=1 "b c"="d e"
LABEL multi="line" \
      other=x
HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --retries=4 CMD wget -qO- localhost || exit 1
STOPSIGNAL SIGUSR1
MAINTAINER someone@example.com
`},
	{name: "expose-variables", args: []string{"--build-arg", "P=80 81/udp"}, dockerfile: `FROM busybox
ARG P
ENV Q=9000
EXPOSE $P ${Q}/udp ${UNSET:-8080}
`},
	{name: "healthcheck-exec", dockerfile: `FROM busybox
HEALTHCHECK CMD ["true"]
HEALTHCHECK --interval=1m30s --retries=2 CMD ["sh", "-c", "test -e /"]
`},
	{name: "healthcheck-none", dockerfile: `FROM busybox
HEALTHCHECK CMD true
HEALTHCHECK NONE
`},
	{name: "shell", dockerfile: `FROM busybox
SHELL ["/bin/sh", "-ec"]
RUN echo shell > /shell.txt
SHELL ["/bin/busybox", "sh", "-c"]
RUN echo "$0" > /shell0.txt
ENTRYPOINT echo entry
`},
	{name: "exec-entrypoint-exec-cmd", dockerfile: `FROM busybox
ENTRYPOINT ["echo", "entry"]
CMD ["point"]
`},
	{name: "shell-entrypoint", dockerfile: `FROM busybox
CMD ["ignored"]
ENTRYPOINT echo from shell form
`},
	{name: "exec-entrypoint-shell-cmd", dockerfile: `FROM busybox
ENTRYPOINT ["/bin/sh", "-c", "echo $0"]
CMD echo shell cmd
`},
	{name: "entrypoint-resets-base-cmd", dockerfile: `FROM busybox
ENTRYPOINT ["echo", "no cmd"]
`},
	{name: "onbuild", base: `FROM busybox
ONBUILD COPY app.txt /from-onbuild.txt
ONBUILD RUN echo triggered > /triggered
ONBUILD ENV TRIG=yes
CMD ["cat", "/triggered"]
`, dockerfile: `FROM cmp-base
RUN cat /from-onbuild.txt /triggered > /both
ONBUILD RUN echo next
`},
	{name: "substitution", dockerfile: `FROM busybox
ENV A=path/to/file.txt EMPTY=
ENV B=${A:-x} C=${UNSET:-x} D=${A:+y} E=${UNSET:+y} F=${EMPTY:-x} G=${EMPTY:+y}
WORKDIR /w/${A:+set}
COPY app.txt /w/${UNSET:-dflt}.txt
LABEL l=${A}
`},
	// Docker 20.10's classic builder rejects ${A#p}, ${A%p} and ${A-x}
	// ("missing ':' in substitution": its lexer predates them); BuildKit's
	// accepts them, and berth follows BuildKit.
	{name: "substitution-patterns", classicFails: "missing ':' in substitution", dockerfile: `FROM busybox
ENV A=path/to/file.txt EMPTY=
ENV H=${A#path/} I=${A##*/} J=${A%.txt} K=${A%%/*} L=${UNSET-dash} M=${EMPTY-dash}
`, want: map[string]any{"Env": []any{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=path/to/file.txt", "EMPTY=",
		"H=to/file.txt", "I=file.txt", "J=path/to/file", "K=path", "L=dash", "M="}}},
	{name: "escape", dockerfile: "# escape=`\nFROM busybox\nRUN echo a `\n    b > /escape.txt\nENV W=C:\\dir\\file X=`$A\nCOPY [\"with space/x.txt\", \"/dir with space/\"]\nWORKDIR C:\\not\\a\\path\n"},
	{name: "copy-semantics", dockerfile: `FROM busybox
COPY dir /copied
COPY dir/ /copied-slash/
COPY *.txt /globbed/
COPY --chown=nobody:nogroup script.sh /bin/
COPY --chown=1234 app.txt /numeric
COPY dir/sub/two.txt /renamed
ADD app.txt /added/
`},
	{name: "filesystem-changes", dockerfile: `FROM busybox
RUN rm /bin/vi && rm -r /etc/network 2>/dev/null; rm -f /bin/ls
RUN mkdir -p /usr/share/x && touch /usr/share/x/old && rm -rf /usr/share && mkdir -p /usr/share/x && touch /usr/share/x/new
RUN chmod 4755 /bin/busybox; chown 1:2 /etc/passwd; chmod 0600 /etc/group
RUN mkfifo /fifo && ln -s /nowhere /dangling && ln -s /etc /etc-link && mkdir -m 1777 /sticky && mkdir /empty \
 && echo x > /hard1 && ln /hard1 /hard2 && touch /tmp/inner && chmod 0640 /tmp/inner && chown 33:44 /tmp/inner
RUN touch /gone-later
RUN rm /gone-later
`},
	{name: "add-archive", dockerfile: `FROM busybox
ADD archive.tar /unpacked/
ADD archive.tar /unpacked-into-new
ADD plain.tar.txt /not-unpacked/
COPY archive.tar /copied-not-unpacked/
`},
	{name: "config-edges", args: []string{"--build-arg", "BASE=busybox:latest"}, dockerfile: `ARG BASE=nothing
FROM ${BASE}
ENV PATH=/opt/bin:$PATH
ENV EMPTY=""
EXPOSE 80/TCP 443/Udp
LABEL empty="" "quoted"="a \"b\" c"
STOPSIGNAL 9
USER nobody:nogroup
VOLUME /var/$EMPTY/x
CMD sleep 0
`},
	{name: "copy-over-existing", dockerfile: `FROM busybox
RUN mkdir /existing && ln -s /existing /linkdir
COPY app.txt /existing
COPY dir /linkdir/
COPY dir/sub /bin
COPY app.txt /etc/passwd-new
COPY --chown=1:1 dir /owned-tree
COPY --chown=2:2 app.txt /deep/parent/file
COPY --chown=3:3 dir/ /deeper/tree/
COPY --chown=mail app.txt /mail-owned
USER nobody
COPY app.txt /as-user/
`, buildkitOwners: map[string][2]int{
		// BuildKit gives the parents COPY --chown creates to the owner for
		// directory sources too; the classic builder leaves them root's.
		"deeper": {3, 3},
		// --chown=NAME: BuildKit takes the group of NAME's passwd entry, the
		// classic builder the group named NAME (mail's passwd group is 8,
		// the group mail is 12).
		"mail-owned": {8, 8},
	}},
}

// archiveTar is a tar with a nested directory, modes and owners, for ADD.
func archiveTar() []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range []*tar.Header{
		{Name: "top/", Typeflag: tar.TypeDir, Mode: 0o750, Uid: 1000, Gid: 1000},
		{Name: "top/file", Typeflag: tar.TypeReg, Mode: 0o640, Uid: 1000, Gid: 100, Size: 4},
		{Name: "top/link", Typeflag: tar.TypeSymlink, Linkname: "file"},
		{Name: "exec", Typeflag: tar.TypeReg, Mode: 0o755, Size: 4},
	} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte("data"))
		}
	}
	tw.Close()
	return b.Bytes()
}
