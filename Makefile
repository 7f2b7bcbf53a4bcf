# licensingd: `make run` serves a demo, `make test` runs every suite; both bootstrap a fresh machine.
CC       ?= gcc
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
PKGS     := libmicrohttpd jansson libpq openssl libcurl
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wno-missing-field-initializers -fno-strict-aliasing -pthread \
            -DLICENSINGD_VERSION='"$(VERSION)"' -I. -Ibuild/gen
LDLIBS   := -pthread

ifeq ($(SANITIZE),1)
VARIANT  := san
CFLAGS   += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
else
VARIANT  := std
endif

OBJDIR   := build/obj-$(VARIANT)
STAMP    := build/.variant-$(VARIANT)

# service/base/ and service/engine/ sit below db/; service/ holds the use cases; service/cmd/ the commands.
LIB_SRC  := $(wildcard service/base/*.c service/engine/*.c service/*.c service/auth/*.c service/cmd/*.c api/*.c db/*.c)
LIB_SRC  := $(filter-out service/cmd/main.c,$(LIB_SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(OBJDIR)/%.o) $(OBJDIR)/gen/migrations.o
MIGRATIONS := $(sort $(wildcard migrations/*.sql))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/unit/%)
INT_SRC  := $(wildcard tests/integration/test_*.c)
INT_BIN  := $(INT_SRC:tests/integration/%.c=build/tests/integration/%)
INT_HELP := $(OBJDIR)/tests/integration/harness.o

.PHONY: all deps build run test test-unit test-integration bench fuzz format lint clean
.DELETE_ON_ERROR:
.SECONDARY: $(INT_HELP)

all: build

deps:
	@tools/deps.sh

# Dependencies are checked before any compile; pkg-config flags are read only after that.
build: deps
	@$(MAKE) --no-print-directory build/licensingd

pc_cflags = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

$(STAMP):
	@mkdir -p build && rm -f build/.variant-* && touch $@

build/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) -O1 -o $@ $<

build/gen/migrations.c: build/tools/embed $(MIGRATIONS)
	@mkdir -p $(@D)
	build/tools/embed $@ db_migrations $(MIGRATIONS)

$(OBJDIR)/gen/migrations.o: build/gen/migrations.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# catalog: demo data (db/demo/) compiled into the binary for `licensingd load-demo`.
DEMO_FILES := $(sort $(wildcard db/demo/*))
LIB_OBJ  += $(OBJDIR)/gen/demo.o

build/gen/demo.c: build/tools/embed $(DEMO_FILES)
	@mkdir -p $(@D)
	build/tools/embed $@ db_demo_files $(DEMO_FILES)

$(OBJDIR)/gen/demo.o: build/gen/demo.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<
# end catalog

# console: the admin console (api/console/) compiled into the binary, served under /admin/.
CONSOLE_FILES := $(sort $(wildcard api/console/*))
LIB_OBJ  += $(OBJDIR)/gen/console.o

build/gen/console.c: build/tools/embed $(CONSOLE_FILES)
	@mkdir -p $(@D)
	build/tools/embed $@ api_console_files $(CONSOLE_FILES)

$(OBJDIR)/gen/console.o: build/gen/console.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<
# end console

$(OBJDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(pc_cflags) -MMD -MP -c -o $@ $<

build/liblicensingd-$(VARIANT).a: $(LIB_OBJ)
	@rm -f $@ && ar rcs $@ $^

build/licensingd: $(OBJDIR)/service/cmd/main.o build/liblicensingd-$(VARIANT).a $(STAMP)
	$(CC) $(LDFLAGS) -o $@ $(OBJDIR)/service/cmd/main.o build/liblicensingd-$(VARIANT).a $(pc_libs) $(LDLIBS)

TEST_HDR := $(wildcard tests/unit/*.h tests/integration/*.h)

build/tests/unit/%: tests/unit/%.c $(TEST_HDR) build/liblicensingd-$(VARIANT).a $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(pc_cflags) $(LDFLAGS) -o $@ $< build/liblicensingd-$(VARIANT).a \
	    $(pc_libs) $(shell pkg-config --libs check) $(LDLIBS)

build/tests/integration/%: tests/integration/%.c $(TEST_HDR) $(INT_HELP) build/liblicensingd-$(VARIANT).a $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(pc_cflags) $(LDFLAGS) -o $@ $< $(INT_HELP) build/liblicensingd-$(VARIANT).a \
	    $(pc_libs) $(shell pkg-config --libs check libcurl) $(LDLIBS)

build-tests: build/licensingd $(UNIT_BIN) $(INT_BIN)

# `make run`: a persistent cluster under var/, the demo organization and catalog, then serve.
run: build
	@tools/run.sh

# `make test`: a throwaway cluster, then unit, integration and README suites.
test: build
	@$(MAKE) --no-print-directory build-tests
	@tests/run.sh $(UNIT_BIN) -- $(INT_BIN)
	@$(MAKE) --no-print-directory fuzz-smoke

test-unit: build
	@$(MAKE) --no-print-directory $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do $$t; done

bench: build
	@tests/bench/run.sh

# Fuzzers (clang, libFuzzer + ASan/UBSan): $filter (Directory, issue 3), the raw-path router with
# the percent-decoder and query parser, the CSV reader, the user/group JSON body decoder
# (hardening, issue 11). `make fuzz` runs each
# FUZZ_SECONDS (60), `fuzz-smoke` (part of `make test`) a few seconds each; corpora live in
# tests/fuzz/corpus*/ (the filter's in tests/fuzz/corpus/), findings land in build/fuzz/.
FUZZ_TARGETS := filter router csv body token
FUZZ_SECONDS ?= 60
FUZZ_SRC_filter := tests/fuzz/fuzz_filter.c api/filter.c service/base/filter.c db/filter_sql.c \
            db/sql_builder.c db/pool.c service/base/error.c service/base/text.c \
            service/base/guid.c service/base/log.c
FUZZ_SRC_router := tests/fuzz/fuzz_router.c api/router.c api/edge.c service/base/text.c \
            service/base/error.c service/base/netaddr.c
FUZZ_SRC_csv := tests/fuzz/fuzz_csv.c service/base/csv.c
FUZZ_SRC_token := tests/fuzz/fuzz_token.c service/auth/token.c service/auth/jwks.c \
            service/auth/base64url.c service/auth/permissions.c service/base/config.c \
            service/base/error.c service/base/log.c service/base/buf.c \
            service/base/http_client.c service/base/netaddr.c
FUZZ_SRC_body := tests/fuzz/fuzz_body.c api/body_fields.c api/edge.c service/base/upn.c \
            service/base/text.c service/base/netaddr.c service/base/error.c service/base/guid.c
FUZZ_CORPUS_filter := tests/fuzz/corpus
FUZZ_CORPUS_router := tests/fuzz/corpus-router
FUZZ_CORPUS_csv := tests/fuzz/corpus-csv
FUZZ_CORPUS_body := tests/fuzz/corpus-body
FUZZ_CORPUS_token := tests/fuzz/corpus-token
FUZZ_BIN := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_PAIRS := $(foreach t,$(FUZZ_TARGETS),$(t):$(FUZZ_CORPUS_$(t)))

.SECONDEXPANSION:
build/fuzz/fuzz_%: $$(FUZZ_SRC_$$*) $$(wildcard api/*.h db/*.h service/base/*.h)
	@mkdir -p build/fuzz/corpus-$*
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -I. $(pc_cflags) \
	    -o $@ $(FUZZ_SRC_$*) $(pc_libs) -pthread

fuzz: $(FUZZ_BIN)
	@set -e; for pair in $(FUZZ_PAIRS); do t=$${pair%%:*}; corpus=$${pair#*:}; \
	    echo "== fuzz_$$t ($(FUZZ_SECONDS) s)"; \
	    build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	        -artifact_prefix=build/fuzz/$$t- build/fuzz/corpus-$$t $$corpus; \
	done

fuzz-smoke: $(FUZZ_BIN)
	@set -e; for pair in $(FUZZ_PAIRS); do t=$${pair%%:*}; corpus=$${pair#*:}; \
	    build/fuzz/fuzz_$$t -max_total_time=4 -max_len=8192 -artifact_prefix=build/fuzz/$$t- \
	        build/fuzz/corpus-$$t $$corpus 2>build/fuzz/smoke-$$t.log \
	        || { tail -40 build/fuzz/smoke-$$t.log; exit 1; }; \
	    echo "fuzz-smoke $$t: $$(grep -c . build/fuzz/smoke-$$t.log) log lines, no crash"; \
	done
# end fuzzers

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(C_FILES)

lint:
	clang-format --dry-run --Werror $(C_FILES)
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --suppress=missingIncludeSystem --inline-suppr -I. service api db

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
