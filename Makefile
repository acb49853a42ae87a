# mod_s3up: the httpd-free core (src/s3up_*.c) is built once into
# build/libs3up.a, which both the module and the unit tests link.

APXS    ?= apxs
CC      ?= cc
B       := build

PKGS     := libcurl libxml-2.0 jansson openssl
APR_INC  := $(shell apr-1-config --includes) $(shell apu-1-config --includes)
APR_DEFS := $(shell apr-1-config --cppflags)
PKG_INC  := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
APR_LIBS := $(shell apu-1-config --link-ld) $(shell apr-1-config --link-ld)

WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -fPIC $(WARN) -fvisibility=hidden
CPPFLAGS += $(APR_DEFS) $(APR_INC) $(PKG_INC) -Isrc

CORE_SRC := $(sort $(wildcard src/s3up.c src/s3up_*.c))
CORE_OBJ := $(CORE_SRC:src/%.c=$(B)/core/%.o)
CORE_HDR := $(wildcard src/s3up*.h)
CORE_LIB := $(B)/libs3up.a

MOD_SRC  := mod_s3up.c $(sort $(wildcard src/mod_s3up_*.c))
MOD_HDR  := $(wildcard src/mod_s3up*.h)
MODULE   := $(B)/mod_s3up.so

UNIT_SRC := $(sort $(wildcard t/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(B)/t/%)
ITEST_SRC := $(sort $(wildcard t/integration/*.c))
ITEST_BIN := $(ITEST_SRC:t/integration/%.c=$(B)/t/%)

.PHONY: all module unit vendor check test clean format format-check install uninstall fuzz \
	asan-module

all: module unit vendor

module: $(MODULE)
unit: $(UNIT_BIN) $(ITEST_BIN)

$(B)/core/%.o: src/%.c $(CORE_HDR) | $(B)/core
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

# The unit tests run the core built again with AddressSanitizer and
# UndefinedBehaviorSanitizer: a bad read, a use after free or undefined
# behaviour ends the test. The module links the plain archive.
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_OBJ  := $(CORE_SRC:src/%.c=$(B)/asan/%.o)
SAN_LIB  := $(B)/asan/libs3up.a

$(B)/asan/%.o: src/%.c $(CORE_HDR) | $(B)/asan
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c -o $@ $<

$(SAN_LIB): $(SAN_OBJ)
	rm -f $@ && ar rcs $@ $^

# apxs compiles the httpd side with httpd's own flags; the core archive is
# linked in statically, so the module needs nothing of ours at run time.
# The archive is passed as an object, not through -Wl: libtool moves -Wl
# flags after the -l libraries, and with the toolchain's --as-needed the
# libraries the archive uses were dropped (undefined OpenSSL symbols at
# LoadModule time). libtool warns that this "is not portable"; it is fine
# here, the archive is built -fPIC.
$(MODULE): $(MOD_SRC) $(MOD_HDR) $(CORE_HDR) $(CORE_LIB) | $(B)
	$(APXS) -c -o $(B)/mod_s3up.la -Isrc $(PKG_INC) -Wc,-std=gnu11 -Wc,-fvisibility=hidden \
	  $(foreach w,$(WARN),-Wc,$(w)) \
	  $(MOD_SRC) $(abspath $(CORE_LIB)) \
	  $(PKG_LIBS) >$(B)/apxs.log 2>&1 || { cat $(B)/apxs.log; exit 1; }
	cp $(B)/.libs/mod_s3up.so $@

# The module built with both sanitizers too, for `t/run --asan`: httpd is
# not instrumented, so it runs with the sanitizers' runtimes preloaded
# (t/lib/httpd.sh does, given S3UP_MODULE and S3UP_HTTPD_PRELOAD).
ASAN_MODULE := $(B)/asan/mod_s3up.so
ASAN_CFLAGS := -fsanitize=address -fsanitize=undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
asan-module: $(ASAN_MODULE)

$(ASAN_MODULE): $(MOD_SRC) $(MOD_HDR) $(CORE_HDR) $(SAN_LIB) | $(B)/asan
	$(APXS) -c -o $(B)/asan/mod_s3up.la -Isrc $(PKG_INC) -Wc,-std=gnu11 -Wc,-fvisibility=hidden \
	  $(foreach f,$(ASAN_CFLAGS) $(WARN),-Wc,$(f)) \
	  $(MOD_SRC) $(abspath $(SAN_LIB)) \
	  $(PKG_LIBS) -lasan -lubsan >$(B)/asan/apxs.log 2>&1 || { cat $(B)/asan/apxs.log; exit 1; }
	cp $(B)/asan/.libs/mod_s3up.so $@

$(B)/t/%: t/unit/%.c t/unit/tap.h t/unit/fake_http.h t/unit/fake_s3.h $(SAN_LIB) | $(B)/t
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -It/unit -o $@ $< $(SAN_LIB) $(PKG_LIBS) $(APR_LIBS)

$(B)/t/%: t/integration/%.c t/unit/tap.h $(CORE_LIB) | $(B)/t
	$(CC) $(CPPFLAGS) $(CFLAGS) -It/unit -o $@ $< $(CORE_LIB) $(PKG_LIBS) $(APR_LIBS)

# The configuration test compiles the httpd-side config file against httpd's
# headers; the few ap_* functions it calls are defined in the test itself.
HTTPD_INC := $(shell $(APXS) -q INCLUDEDIR)
$(B)/t/test_mod_config: t/unit/test_mod_config.c src/mod_s3up_config.c $(MOD_HDR) t/unit/tap.h \
		$(SAN_LIB) | $(B)/t
	$(CC) $(CPPFLAGS) -I$(HTTPD_INC) $(CFLAGS) $(SAN) -It/unit -o $@ t/unit/test_mod_config.c \
	  src/mod_s3up_config.c $(SAN_LIB) $(PKG_LIBS) $(APR_LIBS)

# Uppy's standalone bundle, from npm (build.sh runs npm ci), copied next to
# the pages; never committed.
UPPY := node_modules/uppy/dist
vendor: htdocs/vendor/uppy.min.mjs htdocs/vendor/uppy.min.css

htdocs/vendor/%: $(UPPY)/%
	mkdir -p htdocs/vendor && cp $< $@

$(UPPY)/uppy.min.mjs $(UPPY)/uppy.min.css:
	@echo "$@ is missing: run npm ci (./build.sh does)" >&2; exit 1

# libFuzzer targets (t/fuzz/fuzz_*.c, run by t/fuzz/run): the core built
# again with clang, its fuzzer instrumentation and both sanitizers.
FUZZ_CC  ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_SRC := $(sort $(wildcard t/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:t/fuzz/%.c=$(B)/fuzz/%)
FUZZ_OBJ := $(CORE_SRC:src/%.c=$(B)/fuzz/core/%.o)
FUZZ_LIB := $(B)/fuzz/libs3up.a

fuzz: $(FUZZ_BIN)

$(B)/fuzz/core/%.o: src/%.c $(CORE_HDR) | $(B)/fuzz/core
	$(FUZZ_CC) $(CPPFLAGS) -O1 -g -std=gnu11 -fPIC $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/fuzz/%: t/fuzz/%.c t/fuzz/fuzz.h $(FUZZ_LIB) | $(B)/fuzz
	$(FUZZ_CC) $(CPPFLAGS) -O1 -g -std=gnu11 $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) \
	  $(PKG_LIBS) $(APR_LIBS)

$(B) $(B)/core $(B)/asan $(B)/t $(B)/fuzz $(B)/fuzz/core:
	mkdir -p $@

# make install [DESTDIR=DIR]: the module (apxs), the pages with Uppy, and the
# files of Debian's /etc/apache2/mods-available (a2enmod s3up enables them).
# The module looks for the pages in /usr/share/mod_s3up/htdocs unless
# S3UpDocumentRoot says otherwise: with another DATADIR, set it.
DESTDIR ?=
MODDIR  ?= $(shell $(APXS) -q LIBEXECDIR)
DATADIR ?= /usr/share/mod_s3up
CONFDIR ?= /etc/apache2/mods-available

install: module vendor
	install -d $(DESTDIR)$(MODDIR) $(DESTDIR)$(DATADIR)/htdocs $(DESTDIR)$(CONFDIR)
	$(APXS) -i -S LIBEXECDIR=$(DESTDIR)$(MODDIR) -n s3up $(B)/mod_s3up.la
	cp -R --no-preserve=mode,ownership htdocs/. $(DESTDIR)$(DATADIR)/htdocs/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)/htdocs
	sed 's#/usr/lib/apache2/modules/#$(MODDIR)/#' conf/s3up.load >$(DESTDIR)$(CONFDIR)/s3up.load
	install -m 644 conf/s3up.conf $(DESTDIR)$(CONFDIR)/s3up.conf
	chmod 644 $(DESTDIR)$(CONFDIR)/s3up.load

# What install wrote (run a2dismod s3up first).
uninstall:
	rm -f $(DESTDIR)$(MODDIR)/mod_s3up.so $(DESTDIR)$(CONFDIR)/s3up.load \
	  $(DESTDIR)$(CONFDIR)/s3up.conf
	rm -rf $(DESTDIR)$(DATADIR)/htdocs
	-rmdir $(DESTDIR)$(DATADIR)

# The whole suite: unit tests, then integration tests against a Ceph RGW
# started once for the run (t/run).
test check: all
	t/run

FORMATTED := mod_s3up.c src/*.[ch] t/unit/*.[ch] t/integration/*.c t/fuzz/*.[ch]

format:
	clang-format -i $(FORMATTED)

format-check:
	clang-format --dry-run --Werror $(FORMATTED)

clean:
	rm -rf $(B) .libs *.la *.lo *.slo src/*.lo src/*.slo src/.libs htdocs/vendor
