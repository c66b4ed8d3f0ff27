# Thin wrapper over CMake and the scripts; the build itself is CMake's.
#   make demo           the sample feeds through the dev broker into JSONL
#   make test           build in build/ and run the whole ctest suite
#   make bench-NAME     run bench/NAME (e.g. bench-extract, bench-dedup)
#   make fuzz           every fuzz target for FUZZ_SECONDS (default 60),
#                       clang + libFuzzer in build-fuzz/ (docs/fuzzing.md)
#   make format         every C file formatted with .clang-format
# Each first checks the Debian packages of deploy/debian-packages.txt: as
# root they install what is missing, otherwise they print the apt-get line.

BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
PACKAGES ?= deploy/debian-packages.txt
DEMO_TARGETS = wirehose-devbroker wirehose-producer wirehose-consumer

.PHONY: all deps build test demo fuzz clean
all: build

deps:
	@scripts/deps.sh $(PACKAGES)

build: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

# The demo builds only what it runs.
demo: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j$(JOBS) --target $(DEMO_TARGETS)
	WH_BINDIR=$(abspath $(BUILD_DIR)) scripts/demo.sh

# Each benchmark makes its own (Release) build.
bench-%: deps
	scripts/bench.sh $*

# Needs clang and its libFuzzer runtime (deploy/debian-packages-ci.txt).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/deps.sh $(PACKAGES) deploy/debian-packages-ci.txt
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

clean:
	rm -rf $(BUILD_DIR)

# Formats every C file with the tree's .clang-format (CI checks it).
format:
	scripts/format.sh
