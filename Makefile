# Nyon: one build for everything.  GNU make, no autotools.
#
#   make            build lib/libnyon.a, the daemons and nyonctl
#   make run        build, write a local config and run the daemons in the foreground
#   make test       unit tests (plain and ASan/UBSan), fuzz smoke runs, integration tests
#                   (installs nothing: it stops and names `make deps` if a tool is missing)
#   make deps       check (and on Debian/Pi OS install) what the build and tests need
#   make cross ARCH=arm64|armhf       every program and unit test, cross-built into build/ARCH/
#   make test-cross ARCH=arm64|armhf  the unit tests and a subset of the integration
#                   tests with those programs under qemu-user
#   make deb [ARCH=amd64|arm64|armhf] build/deb/nyon_VERSION_ARCH.deb (debian/)
#
# WERROR=1 turns warnings into errors (CI).  SANITIZE=1 builds with ASan+UBSan
# into build/asan/ so both builds can live side by side.  ARCH (a Debian
# architecture) other than this machine's cross-builds into build/ARCH/.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
CC       ?= cc
CLANG    ?= clang

# The daemons: each DAEMON lives in DAEMON/, its main() in DAEMON/DAEMON.c,
# with a manual page man/DAEMON.8, a unit rc.d/nyon-DAEMON.service.in and an
# init script made from rc.d/nyon.init.in (INIT_REQUIRES_DAEMON below).  A
# new daemon is one word here: the build, the install, the Debian package
# and the cross tests all follow this list.
DAEMONS   = authd ingestd flvd rtcd recd fwdd

# Cross builds (README.md, Cross builds): ARCH is a Debian architecture.
# Another than this machine's builds with Debian's cross compiler for it into
# build/ARCH/, against a sysroot of its -dev packages, SYSROOT, which
# `make deps ARCH=...` fills (tests/deps).
HOST_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
ARCH      ?= $(HOST_ARCH)
TRIPLET_amd64 = x86_64-linux-gnu
TRIPLET_arm64 = aarch64-linux-gnu
TRIPLET_armhf = arm-linux-gnueabihf
TRIPLET   = $(TRIPLET_$(ARCH))
ifeq ($(TRIPLET),)
$(error ARCH=$(ARCH): Nyon cross-builds for amd64, arm64 and armhf)
endif
PKG_CONFIG = pkg-config
ifneq ($(ARCH),$(HOST_ARCH))
CROSS     = 1
SYSROOT   = /usr/local/lib/nyon-cross/$(ARCH)/root
CC        = $(TRIPLET)-gcc --sysroot=$(SYSROOT)
AR        = $(TRIPLET)-ar
PKG_CONFIG = PKG_CONFIG_SYSROOT_DIR=$(SYSROOT) \
	PKG_CONFIG_LIBDIR=$(SYSROOT)/usr/lib/$(TRIPLET)/pkgconfig:$(SYSROOT)/usr/share/pkgconfig pkg-config
endif

# pkg-config modules.  A new library: its module here, and
# "module:debian-dev-package" in PKGS of tests/deps, which installs it (for
# ARCH too) and gives debian/ its Build-Depends.
# libevent_openssl, libssl and libcrypto: RTMPS in ingestd (--as-needed keeps them
# out of the other programs); libavcodec, libavutil, libswscale and
# libturbojpeg: recd's thumbnails; liburing: flvd's fan-out
PKGS      = libevent libevent_openssl libssl libcrypto srt sqlite3 libbsd-overlay \
	    libxcrypt yajl libmd libavcodec libavutil libswscale libturbojpeg liburing
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libsrt is not linked: ingestd opens it on the first SRT datagram
# (ingestd/srt_lib.c), by the soname of the libsrt we compile against (of
# ARCH: readelf reads any architecture's ELF)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(filter-out srt,$(PKGS)) 2>/dev/null)
SRT_SONAME := $(shell readelf -d $$($(PKG_CONFIG) --variable=libdir srt 2>/dev/null)/libsrt.so 2>/dev/null | \
		sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
# rtcd alone links these: DTLS (OpenSSL), SRTP, and AAC to Opus
RTC_PKGS   = libssl libcrypto libsrtp2 opus libavcodec libswresample libavutil
RTC_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(RTC_PKGS) 2>/dev/null)
RTC_LIBS   := $(shell $(PKG_CONFIG) --libs $(RTC_PKGS) 2>/dev/null)
# a daemon's own libraries, beyond PKGS: DAEMON_LIBS_rtcd
DAEMON_LIBS_rtcd = $(RTC_LIBS)
DAEMON_LIBS_recd = -lpthread
# fwdd pushes streams out over SRT itself, so it alone links libsrt (and
# RTMPS through libevent's OpenSSL bufferevents, in PKGS already; fwdd(8))
FWDD_PKGS  = srt
FWDD_LIBS  := $(shell $(PKG_CONFIG) --libs $(FWDD_PKGS) 2>/dev/null)
DAEMON_LIBS_fwdd = $(FWDD_LIBS)
# the unit tests check our HMAC-SHA256 users against OpenSSL's
TEST_PKGS  = cmocka libcrypto
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

# A missing module would make its flags above vanish, and the compiler fail
# later on a missing header: stop here and name it, for any goal that
# compiles.  The unit tests need TEST_PKGS too.
NOBUILD_GOALS = deps clean www format uninstall run cross test-cross unit-cross deb test-deb
UNIT_GOALS    = unit unit-asan test unit-build
ifneq ($(filter-out $(NOBUILD_GOALS) print-%,$(or $(MAKECMDGOALS),all)),)
NEED_PKGS = $(PKGS) $(RTC_PKGS) $(FWDD_PKGS) $(if $(filter $(UNIT_GOALS) tests/unit/%,$(MAKECMDGOALS)),$(TEST_PKGS))
PKG_MISSING := $(shell for m in $(NEED_PKGS); do \
		$(PKG_CONFIG) --exists $$m 2>/dev/null || echo $$m; done)
ifneq ($(PKG_MISSING),)
$(error pkg-config cannot find: $(PKG_MISSING)$(if $(CROSS), for $(ARCH))$(if $(shell command -v pkg-config),, (pkg-config itself is missing)); `make deps$(if $(CROSS), ARCH=$(ARCH))` installs what Nyon needs)
endif
ifneq ($(CROSS),)
ifeq ($(shell command -v $(CC)),)
$(error no $(CC), the cross compiler for $(ARCH); `make deps ARCH=$(ARCH)` installs it)
endif
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
	    $(if $(SRT_SONAME),-DNYON_SRT_SONAME='"$(SRT_SONAME)"') -Ilib $(addprefix -I,$(DAEMONS)) -Ictl \
	    $(PKG_CFLAGS) $(RTC_CFLAGS)
ALLCFLAGS = -std=c11 $(WARN) $(HARDEN_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm
# each program maps only the libraries it uses (flvd: no libsrt, no C++)
LDFLAGS  += -Wl,--as-needed $(HARDEN_LDFLAGS)

ifeq ($(WERROR),1)
ALLCFLAGS += -Werror
endif

ifneq ($(CROSS),)
ifeq ($(SANITIZE),1)
$(error SANITIZE=1 is for this machine's build, not ARCH=$(ARCH))
endif
O         = build/$(ARCH)/
ALLCFLAGS += $(FORTIFY)
else ifeq ($(SANITIZE),1)
O         = build/asan/
ALLCFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
else
O         =
ALLCFLAGS += $(FORTIFY)
endif

LIB_SRCS     := $(wildcard lib/*.c)
CTL_SRCS     := $(wildcard ctl/*.c)
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
$(foreach d,$(DAEMONS),$(eval $(d)_SRCS := $(wildcard $(d)/*.c)))

obj = $(patsubst %.c,$(O)%.o,$(1))

LIBNYON  = $(O)lib/libnyon.a
# Each daemon's objects but its main file (DAEMON/libDAEMON.a), so unit
# tests and fuzzers can link them.
LIBCTL     = $(O)ctl/libctl.a
DAEMON_LIBS = $(foreach d,$(DAEMONS),$(O)$(d)/lib$(d).a) $(LIBCTL)

PROGS = $(foreach d,$(DAEMONS),$(O)$(d)/$(d)) $(O)ctl/nyonctl
UNIT_BINS = $(patsubst tests/unit/%.c,$(O)tests/unit/%,$(UNIT_SRCS))

.PHONY: all clean deps run test unit unit-asan unit-build integration fuzz fuzz-build install uninstall bench format
all: $(PROGS)

$(O)%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(LIBNYON): $(call obj,$(LIB_SRCS))
	@rm -f $@
	$(AR) rcs $@ $^
$(LIBCTL): $(call obj,$(filter-out ctl/nyonctl.c,$(CTL_SRCS)))
	@mkdir -p $(dir $@); rm -f $@
	$(AR) rcs $@ $^
$(O)ctl/nyonctl: $(O)ctl/nyonctl.o $(LIBCTL) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# daemon_rules DAEMON: its archive and its program
define daemon_rules
$(O)$(1)/lib$(1).a: $(call obj,$(filter-out $(1)/$(1).c,$($(1)_SRCS)))
	@mkdir -p $$(dir $$@); rm -f $$@
	$$(AR) rcs $$@ $$^
$(O)$(1)/$(1): $(O)$(1)/$(1).o $(O)$(1)/lib$(1).a $$(LIBNYON)
	$$(CC) $$(ALLCFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$(DAEMON_LIBS_$(1))
endef
$(foreach d,$(DAEMONS),$(eval $(call daemon_rules,$(d))))

# Unit tests: one cmocka program per file; each may use any daemon's code.
$(O)tests/unit/%: $(O)tests/unit/%.o $(DAEMON_LIBS) $(LIBNYON)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(DAEMON_LIBS) $(LIBNYON) $(LDLIBS) $(RTC_LIBS) $(FWDD_LIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BINS)
	@tests/run-unit $(UNIT_BINS)
unit-build: $(UNIT_BINS)

unit-asan:
	+$(MAKE) SANITIZE=1 unit

# libFuzzer targets are built by clang with all code compiled again under
# -fsanitize=fuzzer-no-link, address and undefined, and linked like the unit
# tests: through archives, so a target pulls in only what it uses.
FUZZ_O     = build/fuzz/
FUZZ_FLAGS = -std=c11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	     -fno-sanitize-recover=undefined $(CPPFLAGS)
fuzzobj    = $(patsubst %.c,$(FUZZ_O)%.o,$(1))
FUZZ_LIBS  = $(foreach d,$(DAEMONS),$(FUZZ_O)$(d).a) $(FUZZ_O)lib.a
FUZZ_BINS  = $(patsubst tests/fuzz/%.c,$(FUZZ_O)%,$(FUZZ_SRCS))
$(FUZZ_O)%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<
$(FUZZ_O)lib.a: $(call fuzzobj,$(LIB_SRCS))
	@rm -f $@; $(AR) rcs $@ $^
$(foreach d,$(DAEMONS),$(eval $(FUZZ_O)$(d).a: $(call fuzzobj,$(filter-out $(d)/$(d).c,$($(d)_SRCS)))))
$(FUZZ_O)%.a:
	@rm -f $@; $(AR) rcs $@ $^
$(FUZZ_O)fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBS)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBS) $(LDLIBS) $(RTC_LIBS) $(FWDD_LIBS)
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
	@tests/deps $(if $(CROSS),$(ARCH))

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
		$(BENCH_BIN) $(FLOOR_BIN) $(RTCLOAD_BIN)

-include $(wildcard $(O)*/*.d $(O)tests/*/*.d $(FUZZ_O)*/*.d $(FUZZ_O)tests/*/*.d)

# print-VAR: a variable's value, for scripts (debian/rules: DAEMONS)
print-%:
	@echo $($*)

# cross -----------------------------------------------------------------------
# make cross ARCH=arm64|armhf: every program and unit test, by the cross
# compiler, into build/ARCH/, warnings as errors.  make test-cross: those
# unit tests and tests/run-cross's integration tests under qemu-user;
# make unit-cross the unit tests alone (CI).
.PHONY: cross test-cross unit-cross
cross:
	@if [ -z "$(CROSS)" ]; then \
		echo "make cross ARCH=arm64|armhf: ARCH=$(ARCH) is this machine's own" >&2; exit 2; fi
	+$(MAKE) ARCH=$(ARCH) WERROR=1 all unit-build
test-cross: cross
	tests/run-cross $(ARCH)
unit-cross: cross
	tests/run-cross $(ARCH) unit
# end of cross ----------------------------------------------------------------

# deb -------------------------------------------------------------------------
# make deb [ARCH=amd64|arm64|armhf]: build/deb/nyon_VERSION_ARCH.deb, built
# by dpkg-buildpackage from debian/ (debian/mkdeb: the version from git
# tags, lintian).  make test-deb: tests/deb/run installs it into a Debian 12
# chroot and checks its files, maintainer scripts, removal and purge.
.PHONY: deb test-deb
deb: www
	debian/mkdeb $(ARCH)
test-deb: deb
	prove -v --timer --exec sh tests/deb/run :: $(ARCH)
# end of deb ------------------------------------------------------------------

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
INST_DAEMONS = $(DAEMONS)
INST_MAN5 = man/nyon.conf.5
INST_MAN7 = man/nyon.7
INST_MAN8 = $(foreach d,$(DAEMONS),man/$(d).8) man/nyonctl.8
INST_UNITS = $(foreach d,$(DAEMONS),nyon-$(d).service)
# Static web files: these directories go under $(DATADIR)/www, the default
# www_dir of nyon.conf(5); vendor/ is made by `make www`.
INST_WWW  = www/dashboard www/watch www/vendor
# init script dependencies (LSB Required-Start / Should-Start), by daemon;
# a daemon without lines here needs only the network and syslog
INIT_REQUIRES_authd   =
INIT_SHOULD_authd     =
INIT_REQUIRES_ingestd = nyon-authd
INIT_SHOULD_ingestd   =
INIT_REQUIRES_flvd    =
INIT_SHOULD_flvd      = nyon-ingestd
INIT_REQUIRES_rtcd    =
INIT_SHOULD_rtcd      = nyon-ingestd
INIT_REQUIRES_recd    =
INIT_SHOULD_recd      = nyon-ingestd
INIT_REQUIRES_fwdd    =
INIT_SHOULD_fwdd      = nyon-ingestd nyon-authd
RC_SUBST  = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@CONF@|$(CONFDIR)/nyon.conf|g'

install: all www
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(CONFDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(INITDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DATADIR)/www
	$(INSTALL) -m 0755 $(foreach d,$(INST_DAEMONS),$(O)$(d)/$(d)) $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0755 $(O)ctl/nyonctl $(DESTDIR)$(BINDIR)/
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
	sed 's|@UNITS@|$(INST_UNITS)|g' rc.d/nyon.target > $(DESTDIR)$(UNITDIR)/nyon.target
	chmod 0644 $(DESTDIR)$(UNITDIR)/nyon.target
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
$(FLOOR_BIN): tests/bench/nyon-floor.c $(O)ingestd/libingestd.a $(LIBNYON)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(O)ingestd/libingestd.a $(LIBNYON) $(LDLIBS)
# WebRTC viewers speaking DTLS-SRTP with rtcd's own code
RTCLOAD_BIN = tests/bench/rtc-load
$(RTCLOAD_BIN): tests/bench/rtc-load.c $(O)rtcd/librtcd.a $(LIBNYON)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(O)rtcd/librtcd.a $(LIBNYON) $(LDLIBS) $(RTC_LIBS)
bench: all $(BENCH_BIN) $(FLOOR_BIN) $(RTCLOAD_BIN)
	tests/bench/run.sh $(BENCH_ARGS)
# end of bench ----------------------------------------------------------------
