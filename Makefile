# mediagate: FastCGI media input server. See README.md.
#   make          build build/mediagate
#   make run      serve on 127.0.0.1:$(PORT) behind lighttpd + spawn-fcgi (data in $(DATA_DIR))
#   make check    unit tests (criterion) and integration tests (real lighttpd + spawn-fcgi, curl)
#   make deps     install the Debian packages the build, run and tests need (apt-get)

CC      ?= cc
PKGS    := fcgi sqlite3 libcrypto jansson sndfile soxr libpng libjpeg
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -I.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CRIT_LIBS  = $(shell pkg-config --libs criterion 2>/dev/null)

PORT     ?= 8080
DATA_DIR ?= ./var
B        := build

# Everything but the entry point goes into one static library that the app and the tests link.
LIB_SRCS  := $(wildcard fcgi/*.c store/*.c tokens/*.c media/*.c)
LIB_SRCS  := $(filter-out fcgi/main.c,$(LIB_SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o) $(B)/gen/assets.o
# Static files the pages use (fcgi/static/*), compiled into the binary as asset_NAME[].
ASSETS    := $(wildcard fcgi/static/*)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

# Debian packages: build, run and test dependencies.
DEB_PKGS := build-essential pkg-config libfcgi-dev libsqlite3-dev libssl-dev libjansson-dev \
            libsndfile1-dev libsoxr-dev libpng-dev libjpeg62-turbo-dev \
            libcriterion-dev lighttpd spawn-fcgi curl jq sox libsox-fmt-all espeak-ng ffmpeg \
            pngcheck chromium

.PHONY: all deps print-deps run check check-unit check-integration check-browser clean

all: $(B)/mediagate

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
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libmediagate.a $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(B)/libmediagate.a $(PKG_LIBS) $(CRIT_LIBS)

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
	@$(MAKE) --no-print-directory check-unit check-integration check-browser

check-unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

check-integration: $(B)/mediagate
	tests/integration/run.sh

# Headless Chromium (Debian's) driven by playwright-core from npm.
check-browser: $(B)/mediagate
	tests/browser/run.sh

clean:
	rm -rf $(B)
