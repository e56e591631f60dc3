FROM busybox:1.36
HEALTHCHECK CMD true
CMD ["sh"]
