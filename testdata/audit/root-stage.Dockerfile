FROM busybox:1.36 AS base
USER nobody
HEALTHCHECK CMD true
FROM base
RUN true
