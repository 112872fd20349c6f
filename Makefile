# Thin wrapper over CMake. `make` builds everything, `make test` builds and runs
# every test (also once under ASan+UBSan, and each fuzz target briefly),
# `make demo` records the demo program, `make fuzz` fuzzes every importer.
BUILD      ?= build
BUILD_SAN  ?= build-asan
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 8
CMAKE_GEN  ?= -G Ninja
PYTHON     ?= python3
SPYGLASS    = $(BUILD)/bin/spyglass

.PHONY: all deps build web python test test-unit test-integration test-sanitize test-web test-python
.PHONY: demo format clean bench
.PHONY: fuzz fuzz-smoke fuzz-build

all: build

deps:
	@scripts/install-deps

# The viewer (web/dist) is built first: the server binary embeds it.
build: deps web
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)
	@$(MAKE) --no-print-directory python

# web/ → web/dist (npm ci + esbuild), skipped when up to date.
web:
	@scripts/build-web

# The in-process package's extension, for every test interpreter.
python:
	@scripts/build-python $(BUILD)

test: build
	@$(MAKE) --no-print-directory test-unit test-integration test-python test-web test-sanitize fuzz-smoke

test-unit:
	@ctest --test-dir $(BUILD) --output-on-failure

test-integration:
	@SPYGLASS=$(abspath $(SPYGLASS)) $(PYTHON) -m pytest -q tests/integration

# The in-process package (python/) on every interpreter.
test-python:
	@SPYGLASS=$(abspath $(SPYGLASS)) scripts/test-python $(BUILD)

# The viewer: node's test runner for its logic, then end-to-end in Debian's
# chromium (playwright-core) against the real server.
test-web:
	@SPYGLASS=$(abspath $(SPYGLASS)) scripts/test-web

# The whole suite once more under AddressSanitizer + UndefinedBehaviorSanitizer.
test-sanitize:
	@cmake -S . -B $(BUILD_SAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DSG_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_SAN)
	@ctest --test-dir $(BUILD_SAN) --output-on-failure
	@SPYGLASS=$(abspath $(BUILD_SAN))/bin/spyglass SG_SANITIZED=1 $(PYTHON) -m pytest -q tests/integration

# libFuzzer targets of every importer (tests/fuzz), built with clang in their
# own tree; each runs FUZZ_SECONDS from its seed corpus (scripts/fuzz).
fuzz-build: deps
	@cmake -S . -B $(BUILD_FUZZ) $(CMAKE_GEN) -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSG_FUZZ=ON >/dev/null
	@cmake --build $(BUILD_FUZZ) --target fuzz-all

fuzz: fuzz-build
	@scripts/fuzz $(BUILD_FUZZ) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	@scripts/fuzz $(BUILD_FUZZ) $(FUZZ_SMOKE_SECONDS)

demo: build
	@scripts/demo $(SPYGLASS)

bench: build
	@bench/run-all $(SPYGLASS)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
