FROM busybox:1.36
ADD app.conf /etc/app.conf
ADD rootfs.tar.xz /
ADD https://example.com/file.txt /file.txt
USER nobody
HEALTHCHECK CMD true
