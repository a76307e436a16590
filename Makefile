# Nyon: one build for everything.  GNU make, no autotools.
#
#   make            build lib/libnyon.a, the three daemons and nyonctl
#   make run        build, write a local config and run the daemons in the foreground
#   make test       unit tests (plain and ASan/UBSan), fuzz smoke runs, integration tests
#   make deps       check (and on Debian/Pi OS install) what the build and tests need
#
# WERROR=1 turns warnings into errors (CI).  SANITIZE=1 builds with ASan+UBSan
# into build/asan/ so both builds can live side by side.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
CC       ?= cc
CLANG    ?= clang

PKGS      = libevent srt sqlite3 libbsd-overlay libxcrypt yajl libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN      = -Wall -Wextra -Wshadow -Wpointer-arith -Wmissing-prototypes \
	    -Wstrict-prototypes -Wformat=2 -Wno-unused-parameter -Wvla
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DNYON_VERSION='"$(VERSION)"' -Ilib -Iingestd -Iflvd -Iauthd -Ictl \
	    $(PKG_CFLAGS)
ALLCFLAGS = -std=c11 $(WARN) $(CFLAGS) -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm

ifeq ($(WERROR),1)
ALLCFLAGS += -Werror
endif

ifeq ($(SANITIZE),1)
O         = build/asan/
ALLCFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else
O         =
endif

LIB_SRCS     := $(wildcard lib/*.c)
INGESTD_SRCS := $(wildcard ingestd/*.c)
FLVD_SRCS    := $(wildcard flvd/*.c)
AUTHD_SRCS   := $(wildcard authd/*.c)
CTL_SRCS     := $(wildcard ctl/*.c)
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(O)%.o,$(1))

LIBNYON  = $(O)lib/libnyon.a
# Each daemon's objects but its main file, so unit tests and fuzzers can link them.
LIBINGESTD = $(O)ingestd/libingestd.a
LIBFLVD    = $(O)flvd/libflvd.a
LIBAUTHD   = $(O)authd/libauthd.a
LIBCTL     = $(O)ctl/libctl.a
DAEMON_LIBS = $(LIBINGESTD) $(LIBFLVD) $(LIBAUTHD) $(LIBCTL)

PROGS = $(O)ingestd/ingestd $(O)flvd/flvd $(O)authd/authd $(O)ctl/nyonctl
UNIT_BINS = $(patsubst tests/unit/%.c,$(O)tests/unit/%,$(UNIT_SRCS))

.PHONY: all clean deps run test unit unit-asan integration fuzz fuzz-build install uninstall bench format
all: $(PROGS)

$(O)%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(LIBNYON): $(call obj,$(LIB_SRCS))
	@rm -f $@
	$(AR) rcs $@ $^
$(LIBINGESTD): $(call obj,$(filter-out ingestd/ingestd.c,$(INGESTD_SRCS)))
	@mkdir -p $(dir $@); rm -f $@
	$(AR) rcs $@ $^
$(LIBFLVD): $(call obj,$(filter-out flvd/flvd.c,$(FLVD_SRCS)))
	@mkdir -p $(dir $@); rm -f $@
	$(AR) rcs $@ $^
$(LIBAUTHD): $(call obj,$(filter-out authd/authd.c,$(AUTHD_SRCS)))
	@mkdir -p $(dir $@); rm -f $@
	$(AR) rcs $@ $^
$(LIBCTL): $(call obj,$(filter-out ctl/nyonctl.c,$(CTL_SRCS)))
	@mkdir -p $(dir $@); rm -f $@
	$(AR) rcs $@ $^

$(O)ingestd/ingestd: $(O)ingestd/ingestd.o $(LIBINGESTD) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(O)flvd/flvd: $(O)flvd/flvd.o $(LIBFLVD) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(O)authd/authd: $(O)authd/authd.o $(LIBAUTHD) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(O)ctl/nyonctl: $(O)ctl/nyonctl.o $(LIBCTL) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: one cmocka program per file; each may use any daemon's code.
$(O)tests/unit/%: $(O)tests/unit/%.o $(DAEMON_LIBS) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(DAEMON_LIBS) $(LIBNYON) $(LDLIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BINS)
	@tests/run-unit $(UNIT_BINS)

unit-asan:
	+$(MAKE) SANITIZE=1 unit

# libFuzzer targets are built by clang with all code compiled again under
# -fsanitize=fuzzer-no-link, address and undefined, and linked like the unit
# tests: through archives, so a target pulls in only what it uses.
FUZZ_O     = build/fuzz/
FUZZ_FLAGS = -std=c11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	     -fno-sanitize-recover=undefined $(CPPFLAGS)
fuzzobj    = $(patsubst %.c,$(FUZZ_O)%.o,$(1))
FUZZ_LIBS  = $(FUZZ_O)ingestd.a $(FUZZ_O)flvd.a $(FUZZ_O)authd.a $(FUZZ_O)lib.a
FUZZ_BINS  = $(patsubst tests/fuzz/%.c,$(FUZZ_O)%,$(FUZZ_SRCS))
$(FUZZ_O)%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<
$(FUZZ_O)lib.a: $(call fuzzobj,$(LIB_SRCS))
	@rm -f $@; $(AR) rcs $@ $^
$(FUZZ_O)ingestd.a: $(call fuzzobj,$(filter-out ingestd/ingestd.c,$(INGESTD_SRCS)))
	@rm -f $@; $(AR) rcs $@ $^
$(FUZZ_O)flvd.a: $(call fuzzobj,$(filter-out flvd/flvd.c,$(FLVD_SRCS)))
	@rm -f $@; $(AR) rcs $@ $^
$(FUZZ_O)authd.a: $(call fuzzobj,$(filter-out authd/authd.c,$(AUTHD_SRCS)))
	@rm -f $@; $(AR) rcs $@ $^
$(FUZZ_O)fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBS)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBS) $(LDLIBS)
fuzz-build: $(FUZZ_BINS)
# FUZZ_TIME seconds per target: a smoke run in `make test`, longer by hand.
FUZZ_TIME ?= 8
fuzz: $(FUZZ_BINS)
	@tests/run-fuzz $(FUZZ_TIME) $(FUZZ_BINS)

integration: all
	+$(MAKE) SANITIZE=1 all
	NYON_BUILD=$(CURDIR)/build/asan prove -v tests/integration/

test: deps
	+$(MAKE) all
	+$(MAKE) unit
	+$(MAKE) unit-asan
	+$(MAKE) fuzz
	+$(MAKE) integration

deps:
	@tests/deps

run: deps all
	@tests/run-local

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c)

clean:
	rm -rf build $(PROGS) lib/libnyon.a $(DAEMON_LIBS) \
		$(UNIT_BINS) */*.o */*.d tests/*/*.o tests/*/*.d run

-include $(wildcard $(O)*/*.d $(O)tests/*/*.d $(FUZZ_O)*/*.d $(FUZZ_O)tests/*/*.d)
