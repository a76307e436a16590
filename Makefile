# Nyon: one build for everything.  GNU make, no autotools.
#
#   make            build lib/libnyon.a, the daemons and nyonctl
#   make run        build, write a local config and run the daemons in the foreground
#   make test       unit tests (plain and ASan/UBSan), fuzz smoke runs, integration tests
#                   (installs nothing: it stops and names `make deps` if a tool is missing)
#   make deps       check (and on Debian/Pi OS install) what the build and tests need
#
# WERROR=1 turns warnings into errors (CI).  SANITIZE=1 builds with ASan+UBSan
# into build/asan/ so both builds can live side by side.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
CC       ?= cc
CLANG    ?= clang

PKGS      = libevent srt sqlite3 libbsd-overlay libxcrypt yajl libmd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libsrt is not linked: ingestd opens it on the first SRT datagram
# (ingestd/srt_lib.c), by the soname of the libsrt we compile against
PKG_LIBS   := $(shell pkg-config --libs $(filter-out srt,$(PKGS)) 2>/dev/null)
SRT_SONAME := $(shell objdump -p $$(pkg-config --variable=libdir srt 2>/dev/null)/libsrt.so 2>/dev/null | \
		awk '$$1 == "SONAME" { print $$2 }')
# fwdd pushes streams out over RTMPS and SRT itself: it alone links OpenSSL
# (through libevent's OpenSSL bufferevents) and libsrt (fwdd(8))
FWDD_PKGS  = libevent_openssl openssl srt
FWDD_LIBS  := $(shell pkg-config --libs $(FWDD_PKGS) 2>/dev/null)
# the unit tests check our HMAC-SHA256 users against OpenSSL's
TEST_PKGS  = cmocka libcrypto
CMOCKA_LIBS := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

# A missing module would make its flags above vanish, and the compiler fail
# later on a missing header: stop here and name it, for any goal that
# compiles.  The unit tests need TEST_PKGS too.
NOBUILD_GOALS = deps clean www format uninstall run
UNIT_GOALS    = unit unit-asan test
ifneq ($(filter-out $(NOBUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
NEED_PKGS = $(PKGS) $(FWDD_PKGS) $(if $(filter $(UNIT_GOALS) tests/unit/%,$(MAKECMDGOALS)),$(TEST_PKGS))
PKG_MISSING := $(shell for m in $(NEED_PKGS); do \
		pkg-config --exists $$m 2>/dev/null || echo $$m; done)
ifneq ($(PKG_MISSING),)
$(error pkg-config cannot find: $(PKG_MISSING)$(if $(shell command -v pkg-config),, (pkg-config itself is missing)); `make deps` installs what Nyon needs)
endif
endif

WARN      = -Wall -Wextra -Wshadow -Wpointer-arith -Wmissing-prototypes \
	    -Wstrict-prototypes -Wformat=2 -Wno-unused-parameter -Wvla
CFLAGS   ?= -O2 -g
# Hardening: stack canaries, position-independent executables (ASLR), and
# full RELRO (GOT read-only after start-up).  _FORTIFY_SOURCE needs the
# optimiser, and is left out under the sanitizers, whose own checks of the
# same calls are finer.
HARDEN_CFLAGS  = -fstack-protector-strong -fPIE
HARDEN_LDFLAGS = -pie -Wl,-z,relro,-z,now
FORTIFY = $(if $(filter -O1 -O2 -O3 -Os -Og -Ofast,$(CFLAGS)),-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
CPPFLAGS += -D_GNU_SOURCE -DNYON_VERSION='"$(VERSION)"' \
	    $(if $(SRT_SONAME),-DNYON_SRT_SONAME='"$(SRT_SONAME)"') -Ilib -Iingestd -Iflvd -Iauthd -Ictl -Ifwdd \
	    $(PKG_CFLAGS)
ALLCFLAGS = -std=c11 $(WARN) $(HARDEN_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm
# each program maps only the libraries it uses (flvd: no libsrt, no C++)
LDFLAGS  += -Wl,--as-needed $(HARDEN_LDFLAGS)

ifeq ($(WERROR),1)
ALLCFLAGS += -Werror
endif

ifeq ($(SANITIZE),1)
O         = build/asan/
ALLCFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else
O         =
ALLCFLAGS += $(FORTIFY)
endif

LIB_SRCS     := $(wildcard lib/*.c)
INGESTD_SRCS := $(wildcard ingestd/*.c)
FLVD_SRCS    := $(wildcard flvd/*.c)
FWDD_SRCS    := $(wildcard fwdd/*.c)
AUTHD_SRCS   := $(wildcard authd/*.c)
CTL_SRCS     := $(wildcard ctl/*.c)
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(O)%.o,$(1))

LIBNYON  = $(O)lib/libnyon.a
# Each daemon's objects but its main file, so unit tests and fuzzers can link them.
LIBINGESTD = $(O)ingestd/libingestd.a
LIBFLVD    = $(O)flvd/libflvd.a
LIBFWDD    = $(O)fwdd/libfwdd.a
LIBAUTHD   = $(O)authd/libauthd.a
LIBCTL     = $(O)ctl/libctl.a
DAEMON_LIBS = $(LIBINGESTD) $(LIBFLVD) $(LIBAUTHD) $(LIBCTL) $(LIBFWDD)

PROGS = $(O)ingestd/ingestd $(O)flvd/flvd $(O)authd/authd $(O)ctl/nyonctl \
	$(O)fwdd/fwdd
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
$(LIBFWDD): $(call obj,$(filter-out fwdd/fwdd.c,$(FWDD_SRCS)))
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
$(O)fwdd/fwdd: $(O)fwdd/fwdd.o $(LIBFWDD) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(FWDD_LIBS) $(LDLIBS)
$(O)authd/authd: $(O)authd/authd.o $(LIBAUTHD) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(O)ctl/nyonctl: $(O)ctl/nyonctl.o $(LIBCTL) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: one cmocka program per file; each may use any daemon's code.
$(O)tests/unit/%: $(O)tests/unit/%.o $(DAEMON_LIBS) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(DAEMON_LIBS) $(LIBNYON) $(FWDD_LIBS) $(LDLIBS) $(CMOCKA_LIBS)

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
FUZZ_LIBS  = $(FUZZ_O)ingestd.a $(FUZZ_O)flvd.a $(FUZZ_O)authd.a $(FUZZ_O)fwdd.a \
	     $(FUZZ_O)lib.a
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
$(FUZZ_O)fwdd.a: $(call fuzzobj,$(filter-out fwdd/fwdd.c,$(FWDD_SRCS)))
	@rm -f $@; $(AR) rcs $@ $^
$(FUZZ_O)fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBS)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBS) $(FWDD_LIBS) $(LDLIBS)
fuzz-build: $(FUZZ_BINS)
# FUZZ_TIME seconds per target: a smoke run in `make test`, longer by hand.
FUZZ_TIME ?= 8
fuzz: $(FUZZ_BINS)
	@tests/run-fuzz $(FUZZ_TIME) $(FUZZ_BINS)

# Each test file has a time limit: NYON_TEST_TIMEOUT seconds (300).
integration: all www
	+$(MAKE) SANITIZE=1 all
	NYON_BUILD=$(CURDIR)/build/asan tests/run-integration

# Checks, but never installs, what the tests need: `make deps` does that.
test:
	@tests/deps -n
	+$(MAKE) all
	+$(MAKE) unit
	+$(MAKE) unit-asan
	+$(MAKE) fuzz
	+$(MAKE) integration

deps:
	@tests/deps

# Installs what is missing first (README.md), then builds in a new make,
# which sees the pkg-config modules deps may just have installed.
run: deps
	+$(MAKE) all www
	@tests/run-local

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c)

clean:
	rm -rf build $(PROGS) lib/libnyon.a $(DAEMON_LIBS) \
		$(UNIT_BINS) */*.o */*.d tests/*/*.o tests/*/*.d run www/vendor \
		$(BENCH_BIN) $(FLOOR_BIN)

-include $(wildcard $(O)*/*.d $(O)tests/*/*.d $(FUZZ_O)*/*.d $(FUZZ_O)tests/*/*.d)

# www -------------------------------------------------------------------------
# The dashboard (authd) and the watch page (flvd) are plain files under www/;
# their third-party scripts come from npm, pinned by www/package-lock.json,
# and `make www` copies them into www/vendor/ (generated, not in git).  Only
# this target needs the network, and only once: `make all` never does.
WWW_VENDOR = www/node_modules/mpegts.js/dist/mpegts.js \
	     www/node_modules/mpegts.js/dist/mpegts.js.LICENSE.txt \
	     www/node_modules/mpegts.js/dist/mpegts.js.map \
	     www/node_modules/qrcode-generator/dist/qrcode.mjs
.PHONY: www
www: www/vendor/.stamp
www/vendor/.stamp: www/package.json www/package-lock.json
	cd www && npm ci --no-audit --no-fund
	@mkdir -p www/vendor
	cp $(WWW_VENDOR) www/vendor/
	@touch $@
# end of www ------------------------------------------------------------------

# install ---------------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: programs, manual pages, the
# default /etc/nyon/nyon.conf (never overwritten), systemd units, the
# tmpfiles.d entry of /run/nyon, and SysV init scripts.  Then, once, as root:
# rc.d/postinstall.sh (README.md), which makes the users and directories:
# make install itself never needs them.  systemd reads units from
# /usr/local/lib/systemd/system and tmpfiles.d entries from
# /usr/local/lib/tmpfiles.d as well as from /usr/lib, so UNITDIR and
# TMPFILESDIR follow PREFIX; with another PREFIX, pass
# UNITDIR=/etc/systemd/system TMPFILESDIR=/etc/tmpfiles.d.  The config path
# is /etc/nyon/nyon.conf whatever PREFIX is: the programs look there when
# given no -f.
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share/nyon
CONFDIR   ?= /etc/nyon
UNITDIR   ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
INITDIR   ?= /etc/init.d
INSTALL   ?= install
INST_DAEMONS = authd ingestd flvd fwdd
INST_MAN5 = man/nyon.conf.5
INST_MAN7 = man/nyon.7
INST_MAN8 = man/ingestd.8 man/flvd.8 man/authd.8 man/nyonctl.8 man/fwdd.8
INST_UNITS = nyon-authd.service nyon-ingestd.service nyon-flvd.service \
	     nyon-fwdd.service
# Static web files: these directories go under $(DATADIR)/www, the default
# www_dir of nyon.conf(5); vendor/ is made by `make www`.
INST_WWW  = www/dashboard www/watch www/vendor
# init script dependencies (LSB Required-Start / Should-Start)
INIT_REQUIRES_authd   =
INIT_SHOULD_authd     =
INIT_REQUIRES_ingestd = nyon-authd
INIT_SHOULD_ingestd   =
INIT_REQUIRES_flvd    =
INIT_SHOULD_flvd      = nyon-ingestd
INIT_REQUIRES_fwdd    =
INIT_SHOULD_fwdd      = nyon-ingestd nyon-authd
RC_SUBST  = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@CONF@|$(CONFDIR)/nyon.conf|g'

install: all www
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(CONFDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(INITDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DATADIR)/www
	$(INSTALL) -m 0755 $(foreach d,$(INST_DAEMONS),$(d)/$(d)) $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0755 ctl/nyonctl $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(INST_MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 $(INST_MAN7) $(DESTDIR)$(MANDIR)/man7/
	$(INSTALL) -m 0644 $(INST_MAN8) $(DESTDIR)$(MANDIR)/man8/
	@if [ -e $(DESTDIR)$(CONFDIR)/nyon.conf ]; then \
		echo "install: keeping $(DESTDIR)$(CONFDIR)/nyon.conf"; \
	else \
		echo "$(INSTALL) -m 0644 rc.d/nyon.conf $(DESTDIR)$(CONFDIR)/nyon.conf"; \
		$(INSTALL) -m 0644 rc.d/nyon.conf $(DESTDIR)$(CONFDIR)/nyon.conf; \
	fi
	for d in $(INST_DAEMONS); do \
		$(RC_SUBST) rc.d/nyon-$$d.service.in > $(DESTDIR)$(UNITDIR)/nyon-$$d.service && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/nyon-$$d.service || exit 1; \
	done
	$(INSTALL) -m 0644 rc.d/nyon.target $(DESTDIR)$(UNITDIR)/
	$(INSTALL) -m 0644 rc.d/nyon.tmpfiles $(DESTDIR)$(TMPFILESDIR)/nyon.conf
	$(foreach d,$(INST_DAEMONS),$(RC_SUBST) -e 's|@NAME@|$(d)|g' \
		-e 's|@REQUIRES@|$(INIT_REQUIRES_$(d))|g' -e 's|@SHOULD@|$(INIT_SHOULD_$(d))|g' \
		-e 's/[[:space:]]*$$//' -e '/^# Should-S[a-z]*:$$/d' \
		rc.d/nyon.init.in > $(DESTDIR)$(INITDIR)/nyon-$(d) && \
		chmod 0755 $(DESTDIR)$(INITDIR)/nyon-$(d) &&) true
	for w in $(INST_WWW); do \
		cp -R $$w $(DESTDIR)$(DATADIR)/www/ || exit 1; \
	done
	rm -f $(DESTDIR)$(DATADIR)/www/vendor/.stamp

# Leaves /etc/nyon/nyon.conf if it differs from the default (it was edited),
# /etc/nyon/srt.passphrase, the state in /var/lib/nyon, and the users and
# groups of rc.d/postinstall.sh always.
uninstall:
	rm -f $(foreach d,$(INST_DAEMONS),$(DESTDIR)$(SBINDIR)/$(d)) $(DESTDIR)$(BINDIR)/nyonctl
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(INST_MAN5))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(INST_MAN7))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(INST_MAN8)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(INST_UNITS) nyon.target)
	rm -f $(DESTDIR)$(TMPFILESDIR)/nyon.conf
	rm -f $(foreach d,$(INST_DAEMONS),$(DESTDIR)$(INITDIR)/nyon-$(d))
	rm -rf $(DESTDIR)$(DATADIR)
	@if cmp -s rc.d/nyon.conf $(DESTDIR)$(CONFDIR)/nyon.conf; then \
		rm -f $(DESTDIR)$(CONFDIR)/nyon.conf; rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null; \
	elif [ -e $(DESTDIR)$(CONFDIR)/nyon.conf ]; then \
		echo "uninstall: keeping the edited $(DESTDIR)$(CONFDIR)/nyon.conf"; \
	fi; true
# end of install --------------------------------------------------------------

# bench -----------------------------------------------------------------------
# make bench: builds tests/bench/nyon-bench (an RTMP publisher and N HTTP-FLV
# viewers on one libevent loop, server-agnostic), then tests/bench/run.sh
# makes the inputs with ffmpeg under build/bench/, starts ingestd and flvd
# on free loopback ports and runs the standard scenarios (BENCHMARKS.md).
# Minutes long and machine dependent: never part of `make test`.
# BENCH_ARGS passes options to run.sh (e.g. BENCH_ARGS=--quick).
BENCH_BIN = tests/bench/nyon-bench
FLOOR_BIN = tests/bench/nyon-floor
$(BENCH_BIN): tests/bench/nyon-bench.c $(LIBNYON)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(LIBNYON) $(LDLIBS)
# the floor: unbatched fan-out with nothing else, for the ratio
$(FLOOR_BIN): tests/bench/nyon-floor.c $(LIBINGESTD) $(LIBNYON)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(LIBINGESTD) $(LIBNYON) $(LDLIBS)
bench: all $(BENCH_BIN) $(FLOOR_BIN)
	tests/bench/run.sh $(BENCH_ARGS)
# end of bench ----------------------------------------------------------------
