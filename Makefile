# The two commands a newcomer types: `make demo` and `make test`. Both install what is
# missing (scripts/install-deps), then build.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: deps build test demo bench-smoke fuzz clean format

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: build
	@$(BUILD)/sluice demo

fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DSLUICE_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

format:
	@find src include tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-fuzz
