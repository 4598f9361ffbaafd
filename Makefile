# Entry points. `make run` and `make test` work on a fresh Debian 12 machine: each installs
# what is missing (installers/install-deps.sh), configures, builds, then runs.
.PHONY: all deps run test build release test-build crosscheck-deps format fuzz bench package clean

BUILD_ROOT   ?= build
RELEASE_DIR  := $(BUILD_ROOT)/release
TEST_DIR     := $(BUILD_ROOT)/test
FUZZ_DIR     := $(BUILD_ROOT)/fuzz
JOBS         ?= $(shell nproc)
CTEST_ARGS   ?=
FUZZ_SECONDS ?= 60
WERROR       := $(if $(CI),ON,OFF)

all: release

deps:
	@bash installers/install-deps.sh

$(RELEASE_DIR)/build.ninja: | deps
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DL402_BUILD_TESTS=OFF -DL402_WARNINGS_AS_ERRORS=$(WERROR)

release: deps $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS)
build: release

# The GUI in demo mode: simulated funds and a local demo paid API, in its own data folder.
# Without a display (a server, CI), it starts under Xvfb so the window still exists.
run: release
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  exec $(RELEASE_DIR)/app/l402-wallet --demo; \
	else \
	  echo "make run: no display found; starting under Xvfb (xvfb-run)"; \
	  exec xvfb-run -a $(RELEASE_DIR)/app/l402-wallet --demo; \
	fi

crosscheck-deps:
	@if [ ! -f tests/crosscheck/node_modules/.package-lock.json ] || \
	    [ tests/crosscheck/package-lock.json -nt tests/crosscheck/node_modules/.package-lock.json ]; then \
	  cd tests/crosscheck && npm ci --no-audit --no-fund --loglevel=error; \
	fi

$(TEST_DIR)/build.ninja: | deps
	cmake -S . -B $(TEST_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DSANITIZERS=address,undefined -DL402_CRASH_POINTS=ON -DL402_WARNINGS_AS_ERRORS=$(WERROR)

test-build: deps $(TEST_DIR)/build.ninja
	cmake --build $(TEST_DIR) -j $(JOBS)

# The whole suite: unit, integration, e2e, GUI (offscreen/Xvfb), fuzz corpus replay, with
# ASan+UBSan. Tests that need a Secret Service or X server start their own.
test: test-build crosscheck-deps
	cd $(TEST_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

format:
	git ls-files -z '*.cpp' '*.h' | xargs -0 clang-format -i

# libFuzzer targets (clang), each run for FUZZ_SECONDS with ASan+UBSan, corpus in tests/fuzz/corpus.
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DL402_FUZZ=ON -DL402_BUILD_GUI=OFF -DSANITIZERS=address,undefined
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz-targets
	@for target in $$(cat $(FUZZ_DIR)/tests/fuzz/targets.txt); do \
	  mkdir -p fuzz-out/$$target; \
	  echo "== $$target ($(FUZZ_SECONDS) s)"; \
	  $(FUZZ_DIR)/tests/fuzz/$$target -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    fuzz-out/$$target tests/fuzz/corpus/$$target || exit 1; \
	done

bench: deps
	./installers/install-bench-deps.sh
	cmake -S . -B $(BUILD_ROOT)/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DL402_BUILD_TESTS=ON
	cmake --build $(BUILD_ROOT)/bench -j $(JOBS) --target benchmarks
	@for bench in $$(cat $(BUILD_ROOT)/bench/tests/bench/benchmarks.txt); do \
	  $(BUILD_ROOT)/bench/tests/bench/$$bench || exit 1; \
	done

# The Debian package (CPack DEB, dependencies from dpkg-shlibdeps) in build/release.
package: release
	cmake --build $(RELEASE_DIR) --target package

clean:
	rm -rf $(BUILD_ROOT) fuzz-out
