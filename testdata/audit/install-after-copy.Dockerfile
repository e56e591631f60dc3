FROM debian:12
WORKDIR /src
COPY . .
RUN apt-get update && apt-get -y install curl
RUN echo installed
USER nobody
HEALTHCHECK CMD true
