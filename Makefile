# The two commands a newcomer types: `make demo` and `make test`. Both install what is
# missing (scripts/install-deps), then build.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: deps build test demo fuzz fuzz-smoke clean format

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
