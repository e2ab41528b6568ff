# The two commands a newcomer types: `make demo` and `make test`. Both install what is
# missing (scripts/install-deps), then build.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: deps build test demo bench bench-smoke fuzz fuzz-smoke clean format

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build fuzz
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600
	@scripts/fuzz-smoke

demo: build
	@$(BUILD)/sluice demo

# Every benchmark, full runs (under 20 min on 2 cores), then instruction counts under
# callgrind: writes bench/results/latest.md and latest.png (bench/README.md). Builds only
# sluice and the bench programs (target bench_all), not the tests.
bench: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target bench_all
	@bench/run-all --build $(BUILD)

# Each benchmark's --smoke run, a few seconds each: the ctest tests labelled bench, which
# `make test` runs too (it runs every ctest test).
bench-smoke: build
	@cd $(BUILD) && ctest -L bench --output-on-failure --timeout 600

# libFuzzer targets (clang, sanitized) in build-fuzz/; only the fuzzers are built.
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DSLUICE_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_batch_validator fuzz_request_decoder

fuzz-smoke: fuzz
	@scripts/fuzz-smoke

format:
	@find src include tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-fuzz
