# metaood — `make help` lists the targets. `make run` and `make test` do their own set-up.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/metaood
export METAOOD_ORT_LIB ?= $(CURDIR)/.cache/ort/libonnxruntime.so.1
export OPENCV_LOG_LEVEL ?= ERROR
# Go 1.26's SIMD experiment turns on postproc's AVX2 kernels (2-3x faster entropy and metrics; still pure Go).
# A plain `go build` works too and uses the scalar kernels; `make test` checks both give the same answers.
export GOEXPERIMENT ?= simd
PURE_PKGS := ./frame/... ./synth/... ./onnx/... ./segmodel/... ./postproc/... ./metaclf/... ./calib/... ./event/... ./internal/npy/... ./finetune/... ./oodeval/... ./internal/sdnotify/... ./internal/progress/... ./internal/counterdump/... ./pipeline/... ./internal/sinkqueue/... ./sink/... ./stream/netcfg/... ./record/...
TEST_FLAGS ?= -race -shuffle=on -timeout=25m -count=1

.PHONY: help setup setup-run build run test fuzz bench bench-sidebyside gpu-check clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## install everything to build, run and test: system packages, ONNX Runtime (idempotent)
	@scripts/setup.sh test

setup-run: ## install only what building and running need: OpenCV, libvpx, g++, ONNX Runtime
	@scripts/setup.sh run

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

build: setup-run ## build bin/metaood
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/metaood

run: build ## the main job on the built-in default: synthetic drive, tiny model, default meta classifier, live viewer
	$(BIN) run --webrtc

test: setup ## every test (tests on real data skip when the shared data set is absent; under CI they must run)
	CGO_ENABLED=0 $(GO) vet $(PURE_PKGS)   # the maths stays pure Go: this fails if cgo creeps in
	$(GO) vet ./...
	$(GO) test $(TEST_FLAGS) ./...
	GOEXPERIMENT= $(GO) test $(TEST_FLAGS) ./postproc/...   # the scalar kernels, as a plain `go build` gets them
	$(GO) test -tags matprofile -count=1 ./capture/... ./infer/... ./render/... ./cmd/metaood/...   # no gocv.Mat left open
	@$(MAKE) --no-print-directory fuzz FUZZTIME=2s FUZZ_TARGETS="$(FUZZ_QUICK)"   # every parser a user feeds, a little

# Fuzz targets: package:Target. `make fuzz` runs each for FUZZTIME (default 60s); new crashers land in
# the package's testdata/fuzz and then fail `go test` until fixed.
FUZZ_QUICK := ./config:FuzzParse ./metaclf:FuzzParse ./postproc:FuzzReadLabelPNG ./internal/npy:FuzzRead \
	./internal/npy:FuzzParseHeader ./synth:FuzzParseSpec ./frame:FuzzParseSize ./event:FuzzParseCorridor ./calib:FuzzReadCSV \
	./event:FuzzParseTypes ./sink/mqtt:FuzzTopicName \
	./stream/netcfg:FuzzParseICEServer
FUZZ_ALL := $(FUZZ_QUICK) ./fleet:FuzzParseJob ./fleet:FuzzParseManifest ./capture:FuzzParseSpec ./stream:FuzzWHEPOffer ./stream:FuzzReadMarker ./onnx:FuzzLoad \
	./segmodel:FuzzFromONNX ./synth:FuzzDecodeGTPNG ./synth:FuzzParseSize ./oodeval:FuzzPixelMetrics
FUZZTIME ?= 60s
FUZZ_TARGETS ?= $(FUZZ_ALL)

fuzz: ## fuzz every parser a user touches, FUZZTIME each (default 60s; `make test` runs the pure ones 2s each)
	@GO=$(GO) scripts/fuzz.sh $(FUZZTIME) $(FUZZ_TARGETS)

bench: build ## benchmarks that print tables: postproc (AVX2 and scalar), metaclf, `metaood bench` (~1 min)
	@echo "== postproc: one 19x512x1024 map, 36 components, one core (kernels of GOEXPERIMENT=$(GOEXPERIMENT))"
	$(GO) test -run='^$$' -bench='Process|Entropy' -benchtime=20x -cpu=1 -benchmem ./postproc/
	@echo "== postproc with the scalar kernels (what a plain go build gets)"
	GOEXPERIMENT= $(GO) test -run='^$$' -bench='Process' -benchtime=20x -cpu=1 -benchmem ./postproc/
	@echo "== meta classifier"
	$(GO) test -run='^$$' -bench=PredictBatch -benchmem ./metaclf/
	@echo "== pipeline: built-in tiny model on the synthetic drive (metaood bench --help for a real model)"
	$(BIN) bench --frames 60

bench-sidebyside: ## postproc vs the reference code, the MLP trainer vs PyTorch, same cores, one run (METAOOD_REF=meta-ood checkout; ~3 min)
	@scripts/setup.sh bench
	bench/sidebyside.sh

gpu-check: ## on a GPU machine, offline: providers checked, fps and stage times on CUDA and TensorRT, batch 1/4/8 (≤ 8 min)
	$(if $(filter file,$(origin METAOOD_ORT_LIB)),env -u METAOOD_ORT_LIB) scripts/gpu-check.sh   # the CPU library has no CUDA

clean: ## remove build outputs (keeps the ONNX Runtime download)
	rm -rf bin out
