package main

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
}

// dockerBuildContext is the context every case builds from.
var dockerBuildContext = map[string]string{
	"app.txt":          "application\n",
	"dir/one.txt":      "one\n",
	"dir/sub/two.txt":  "two\n",
	"script.sh":        "#!/bin/sh\necho script\n",
	"with space/x.txt": "spaced\n",
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
WORKDIR /made-as-nobody
USER 1000:1000
RUN id -u > /tmp/uid
`},
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
}
