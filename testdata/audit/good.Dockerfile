# A Dockerfile with none of the pitfalls.
FROM busybox:1.36 AS base
WORKDIR /app
COPY package.json ./
RUN npm ci
COPY . .
ADD vendor.tar.gz /opt/
ENV API_KEY_FILE=/run/secrets/api_key
RUN adduser -D app
USER app
HEALTHCHECK CMD wget -q -O /dev/null http://localhost:8080/ || exit 1
CMD ["./server"]
