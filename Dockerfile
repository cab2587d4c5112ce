# syntax=docker/dockerfile:1
# metaood for CPU-only rigs: Debian 12 (bookworm), the CPU build of ONNX Runtime, non-root.
#
#   docker build -t metaood:cpu --build-arg VERSION=$(git describe --always --dirty) .
#   docker run --rm --network host metaood:cpu                       # demo: synthetic drive, viewer at http://127.0.0.1:8080/
#   docker run --rm --network host -v "$PWD/clips:/data:ro" -v metaood-out:/var/lib/metaood/out \
#       metaood:cpu run --source /data/drive.mp4 --model /usr/share/metaood/models/espnetv2-ood.onnx --classes 19
#
# --network host: the live viewer's video goes over WebRTC, whose UDP ports pion picks at run time
# (there is no fixed media port to publish), so the container shares the host's network. Without the
# viewer (no --webrtc) any network mode works. compose.yaml shows a whole rig set-up.
# Builds for linux/amd64 and linux/arm64 (scripts/setup.sh picks and checks the ONNX Runtime library).
# Both stages are Debian 12: its OpenCV is 4.6.0, the only version gocv v0.31.0 builds against, and the
# binary must run on the libraries it was linked with.

ARG GO_IMAGE=golang:1.26.8-bookworm
ARG RUNTIME_IMAGE=debian:12-slim

# ---------------------------------------------------------------------------------------------
FROM ${GO_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        ca-certificates g++ pkg-config libopencv-dev libvpx-dev npm \
 && rm -rf /var/lib/apt/lists/* \
 && test "$(pkg-config --modversion opencv4)" = "4.6.0"
WORKDIR /src
# ONNX Runtime (CPU) for this architecture, checked by sha256: its own layer, kept across code changes.
COPY scripts/setup.sh scripts/setup.sh
RUN scripts/setup.sh ort && mkdir -p /out && cp .cache/ort/libonnxruntime.so.1 /out/
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ENV CGO_ENABLED=1 GOEXPERIMENT=simd GOFLAGS=-buildvcs=false
RUN go build -trimpath -ldflags "-X main.version=${VERSION}" -o /out/metaood ./cmd/metaood
# The Debian packages that own the shared libraries the binary links (OpenCV modules, libvpx, FFmpeg,
# GStreamer …), so that the runtime stage installs exactly those and not the -dev tree.
RUN ldd /out/metaood | awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
      | xargs -r readlink -f | sed 's#^/lib/#/usr/lib/#' \
      | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u > /out/runtime-packages.txt \
 && grep -q opencv /out/runtime-packages.txt \
 && cat /out/runtime-packages.txt

# ---------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
# More Debian packages, e.g. EXTRA_PACKAGES="gstreamer1.0-plugins-good" for gst:<pipeline> sources.
ARG EXTRA_PACKAGES=""
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y --no-install-recommends ca-certificates ${EXTRA_PACKAGES} \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt

COPY --from=build /out/libonnxruntime.so.1 /usr/local/lib/metaood/libonnxruntime.so.1
COPY --from=build /out/metaood /usr/local/bin/metaood
COPY models/ /usr/share/metaood/models/
COPY metaood.yml /etc/metaood/metaood.yml
COPY LICENSE NOTICE /usr/share/doc/metaood/
RUN ldd /usr/local/bin/metaood | { ! grep 'not found'; } \
 && useradd --system --create-home --home-dir /var/lib/metaood --uid 10001 --groups video metaood \
 && mkdir -p /var/lib/metaood/out && chown metaood /var/lib/metaood/out \
 && metaood version

# infer finds the library through METAOOD_ORT_LIB.
ENV METAOOD_ORT_LIB=/usr/local/lib/metaood/libonnxruntime.so.1 \
    OPENCV_LOG_LEVEL=ERROR
USER metaood
WORKDIR /var/lib/metaood
# Outputs (annotated video, events.jsonl, summary.csv) go to out/run-<time>/ here.
VOLUME /var/lib/metaood/out
# The live viewer's page and WHEP endpoint (--webrtc ADDR; media over WebRTC UDP, see above).
EXPOSE 8080/tcp
ENTRYPOINT ["metaood"]
# The demo: an endless synthetic drive with the viewer on 127.0.0.1:8080 (reachable with --network host).
CMD ["run", "--webrtc"]
