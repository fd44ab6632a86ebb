# The two commands: `make run` and `make test`. Everything else is a helper.
BUILD      ?= build
SAN_BUILD  ?= build-san
FUZZ_BUILD ?= build-fuzz
BENCH_BUILD ?= build-bench
JOBS       ?= $(shell nproc)
WERROR     ?= $(if $(CI),ON,OFF)
FUZZ_SECONDS ?= 60
CMAKE_GEN  := -G Ninja

.PHONY: all deps deps-build build run test test-fast test-san fuzz bench install clean format

all: build

deps-build:
	@bash scripts/deps.sh --build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DWEFT_ENABLE_WERROR=$(WERROR)

build: deps-build $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@$(BUILD)/tools/weft/weft serve

# Every test: the gcc build, then the clang build under ASan + UBSan (which
# also compiles the libFuzzer targets and replays their corpora).
test: deps
	$(MAKE) --no-print-directory test-fast
	$(MAKE) --no-print-directory test-san

test-fast: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(SAN_BUILD)/build.ninja:
	CC=clang cmake -S . -B $(SAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug \
	  -DWEFT_ENABLE_ASAN=ON -DWEFT_ENABLE_UBSAN=ON -DWEFT_ENABLE_FUZZ=ON \
	  -DWEFT_ENABLE_WERROR=$(WERROR)

test-san: $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

$(FUZZ_BUILD)/build.ninja:
	CC=clang cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DWEFT_ENABLE_ASAN=ON -DWEFT_ENABLE_UBSAN=ON -DWEFT_ENABLE_FUZZ=ON \
	  -DWEFT_ENABLE_TESTS=OFF -DWEFT_ENABLE_BENCH=OFF

# Runs every libFuzzer target for FUZZ_SECONDS each (make fuzz FUZZ_SECONDS=600).
fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

$(BENCH_BUILD)/build.ninja:
	@cmake -S . -B $(BENCH_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release \
	  -DWEFT_ENABLE_TESTS=OFF >&2

# Benchmarks: one JSON line per figure on stdout (build output on stderr, so
# `make bench > figures.jsonl` keeps only the figures). See bench/README.md.
bench: deps $(BENCH_BUILD)/build.ninja
	@cmake --build $(BENCH_BUILD) -j $(JOBS) >&2
	@bash bench/run.sh $(BENCH_BUILD)

install: build
	cmake --install $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD) $(BENCH_BUILD)
