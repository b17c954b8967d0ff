# mediagate: FastCGI media input server. See README.md.
#   make          build build/mediagate and build/mediagate-put (the tus client, cli/)
#   make run      serve on 127.0.0.1:$(PORT) behind lighttpd + spawn-fcgi (data in $(DATA_DIR))
#   make check    unit tests (criterion) and integration tests (real lighttpd + spawn-fcgi, curl)
#   make deps     install the Debian packages the build, run and tests need (apt-get)
#   make check SANITIZE=1   everything built with ASan + UBSan (in build/asan) and tested
#   make check VALGRIND=1   the integration and browser tests with the app under valgrind
#   make check-deploy       the integration suite behind nginx (deploy/nginx/), Apache
#                           (deploy/apache/, at /media), lighttpd starting the app itself
#                           (SPAWN=lighttpd), with OFFLOAD=1 (the web server sends files)
#                           behind each server; the systemd unit's checks (deploy/systemd/)
#   make fuzz     run each libFuzzer harness for FUZZ_SECONDS (default 60)

CC      ?= cc
PKGS    := fcgi sqlite3 libcrypto jansson sndfile soxr libpng libjpeg
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -I.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CRIT_LIBS  = $(shell pkg-config --libs criterion 2>/dev/null)
# The command-line client (cli/): libcurl, OpenSSL's libcrypto, jansson.
CLI_PKGS   := libcurl libcrypto jansson
CLI_CFLAGS  = $(shell pkg-config --cflags $(CLI_PKGS) 2>/dev/null)
CLI_LIBS    = $(shell pkg-config --libs $(CLI_PKGS) 2>/dev/null)

PORT     ?= 8080
DATA_DIR ?= ./var
B        := build

ifeq ($(SANITIZE),1)
B        := build/asan
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS   += $(SAN)
LDFLAGS  += $(SAN)
# Reports fail the run: unit tests by their exit status, the app's in the server logs, which
# the test runners scan (tests/integration/run.sh). criterion's own leaks are suppressed.
export ASAN_OPTIONS  := detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export LSAN_OPTIONS  := suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
endif

# The app the integration and browser tests start; under valgrind with VALGRIND=1.
ifeq ($(VALGRIND),1)
TEST_BIN := $(CURDIR)/tests/valgrind.sh
export MG_VALGRIND_BIN := $(CURDIR)/$(B)/mediagate
export MG_VALGRIND_LOGS := $(CURDIR)/tests/out/valgrind
else
TEST_BIN := $(CURDIR)/$(B)/mediagate
endif
FUZZ_SECONDS ?= 60
# The tus client the integration group test_cli.sh runs (built like the app: ASan with SANITIZE=1).
export MG_CLI := $(CURDIR)/$(B)/mediagate-put

# Everything but the entry point goes into one static library that the app and the tests link.
LIB_SRCS  := $(wildcard fcgi/*.c store/*.c tokens/*.c media/*.c)
LIB_SRCS  := $(filter-out fcgi/main.c,$(LIB_SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o) $(B)/gen/assets.o
# Static files the pages use (fcgi/static/*), compiled into the binary as asset_NAME[].
ASSETS    := $(wildcard fcgi/static/*)
# mediagate-put, the tus client: its own objects, not in the library.
CLI_SRCS  := $(wildcard cli/*.c)
CLI_OBJS  := $(CLI_SRCS:%.c=$(B)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

# Debian packages: build, run and test dependencies.
DEB_PKGS := build-essential pkg-config libfcgi-dev libsqlite3-dev libssl-dev libjansson-dev \
            libsndfile1-dev libsoxr-dev libpng-dev libjpeg62-turbo-dev libcurl4-openssl-dev \
            libcriterion-dev lighttpd spawn-fcgi curl jq sox libsox-fmt-all espeak-ng ffmpeg \
            pngcheck chromium nginx apache2 libapache2-mod-fcgid libapache2-mod-xsendfile \
            libfcgi-bin systemd

.PHONY: all deps print-deps run check check-unit check-integration check-browser check-tus check-deploy \
        fuzz clean

all: $(B)/mediagate $(B)/mediagate-put

$(B)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(B)/gen/assets.c: $(ASSETS) tools/embed.sh
	@mkdir -p $(dir $@)
	@for f in $(ASSETS); do \
	  tools/embed.sh $$f asset_$$(basename $$f | tr -c 'a-zA-Z0-9\n' '_'); done > $@

$(B)/gen/assets.o: $(B)/gen/assets.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libmediagate.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/mediagate: $(B)/fcgi/main.o $(B)/libmediagate.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/cli/%.o: PKG_CFLAGS = $(CLI_CFLAGS)

$(B)/mediagate-put: $(CLI_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS)

# The client's pure parts (cli/tus.c, cli/source.c), without libcurl.
$(B)/tests/test_cli_tus: tests/unit/test_cli_tus.c $(B)/cli/tus.o $(B)/cli/source.o $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/cli/tus.o $(B)/cli/source.o \
	  $(shell pkg-config --libs libcrypto) $(CRIT_LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libmediagate.a $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(PKG_CFLAGS) -o $@ $< $(B)/libmediagate.a $(PKG_LIBS) $(CRIT_LIBS)

# Installs only what is missing, so a machine that has everything runs no apt at all.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

print-deps:
	@echo $(DEB_PKGS)

run: deps
	@$(MAKE) --no-print-directory all
	PORT=$(PORT) DATA_DIR=$(DATA_DIR) deploy/run.sh

check: deps
	@$(MAKE) --no-print-directory check-unit check-integration check-browser check-tus

check-unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# TEST_GROUPS="basic range" runs only those groups (tests/integration/test_NAME.sh).
check-integration: $(B)/mediagate $(B)/mediagate-put
	rm -rf tests/out/valgrind
	BIN=$(TEST_BIN) tests/integration/run.sh $(TEST_GROUPS)

# Headless Chromium (Debian's) driven by playwright-core from npm.
check-browser: $(B)/mediagate
	BIN=$(TEST_BIN) tests/browser/run.sh

# The tus endpoint driven by tus-js-client (npm, pinned in tests/tus/package-lock.json) in Node.
check-tus: $(B)/mediagate
	BIN=$(TEST_BIN) tests/tus/run.sh

# The integration suite behind nginx and Apache, with offload, and with lighttpd spawning the app
# (tests/deploy.sh: two suites at a time), and the systemd unit's checks; check covers lighttpd +
# spawn-fcgi at "/". With SANITIZE=1 every run uses the ASan + UBSan build.
check-deploy: deps $(B)/mediagate $(B)/mediagate-put
	BIN=$(TEST_BIN) tests/deploy.sh
	BIN=$(TEST_BIN) deploy/systemd/check.sh

# libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with clang, ASan and UBSan.
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

clean:
	rm -rf $(B)
