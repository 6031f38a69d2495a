# Tongban — see README.md. `make run` and `make test` do all set-up.
CC      ?= cc
WARN     = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Werror
DEFS     = -D_GNU_SOURCE
# libcurl: the payment adapter's outbound HTTPS to the provider (fcgi/core/paygw_wechat.c)
PKGS     = libpq hiredis yajl libcrypto libqrencode cairo-ft fontconfig libcurl
PKGCFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
HARDEN   = -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
HARDLD   = -pie -Wl,-z,relro,-z,now
SAN      = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS_R = $(WARN) $(DEFS) $(HARDEN) -g $(PKGCFLAGS)
# test hooks (the settable clock) exist only in the sanitizer build the tests run
CFLAGS_A = $(WARN) $(DEFS) -DTB_TEST_HOOKS $(SAN) $(PKGCFLAGS)

SERVICES = admin intake query public
CORE_SRC = $(wildcard fcgi/core/*.c)
DOMAIN_SRC = $(wildcard fcgi/domain/*.c)
LIB_SRC  = $(CORE_SRC) $(DOMAIN_SRC)
svc_obj  = $(patsubst %.c,$(2)/obj/%.o,$(wildcard fcgi/$(1)/*.c))

# Core and domain are compiled once per flavour into static libraries that
# every program links: release objects under build/obj and build/lib, the
# sanitizer build's under build/asan/obj and build/asan/lib. -MMD writes a
# .d file beside each object naming the headers it read, so a header change
# rebuilds exactly its users (the .d files are included below).
REL = build
ASN = build/asan
lib_objs = $(patsubst %.c,$(2)/obj/%.o,$(1))
REL_LIBS = $(REL)/lib/libtbdomain.a $(REL)/lib/libtbcore.a
ASN_LIBS = $(ASN)/lib/libtbdomain.a $(ASN)/lib/libtbcore.a
# the group lets either library use the other whatever the order
link_libs = -Wl,--start-group $(1) -Wl,--end-group

RELEASE_BINS = $(SERVICES:%=bin/tongban-%) bin/tbctl
ASAN_BINS    = $(SERVICES:%=build/asan/tongban-%) build/asan/tbctl
UNIT_TESTS   = $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/*.c))
FUZZ_TARGETS = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

.SECONDEXPANSION:
.SECONDARY:
.PHONY: all deps build build-asan web unit run stop test bench fuzz fuzz-replay clean
all: build web

deps:
	@scripts/deps.sh

build: $(RELEASE_BINS) build/bench/bare-fcgi
build-asan: $(ASAN_BINS)

$(REL)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC $<"
	@$(CC) $(CFLAGS_R) -Ifcgi -MMD -MP -c -o $@ $<

$(ASN)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC $< (asan)"
	@$(CC) $(CFLAGS_A) -Ifcgi -MMD -MP -c -o $@ $<

$(REL)/lib/libtbcore.a: $(call lib_objs,$(CORE_SRC),$(REL))
$(REL)/lib/libtbdomain.a: $(call lib_objs,$(DOMAIN_SRC),$(REL))
$(ASN)/lib/libtbcore.a: $(call lib_objs,$(CORE_SRC),$(ASN))
$(ASN)/lib/libtbdomain.a: $(call lib_objs,$(DOMAIN_SRC),$(ASN))
%.a:
	@mkdir -p $(@D)
	@echo "  AR $@"
	@rm -f $@
	@$(AR) rcs $@ $^

LINK_R = @mkdir -p $(@D); echo "  LD $@"; \
	 $(CC) $(CFLAGS_R) -o $@ $(filter %.o,$^) $(call link_libs,$(REL_LIBS)) $(HARDLD) $(PKGLIBS)
LINK_A = @mkdir -p $(@D); echo "  LD $@ (asan)"; \
	 $(CC) $(CFLAGS_A) -o $@ $(filter %.o,$^) $(call link_libs,$(ASN_LIBS)) $(PKGLIBS)

bin/tongban-%: $$(call svc_obj,$$*,$(REL)) $(REL_LIBS)
	$(LINK_R)
bin/tbctl: $(call svc_obj,tbctl,$(REL)) $(REL_LIBS)
	$(LINK_R)
build/asan/tongban-%: $$(call svc_obj,$$*,$(ASN)) $(ASN_LIBS)
	$(LINK_A)
build/asan/tbctl: $(call svc_obj,tbctl,$(ASN)) $(ASN_LIBS)
	$(LINK_A)

# The payment adapter from the command line, driven against the provider
# simulator by tests/api/test_paygw.py.
build-asan: build/asan/paygw_probe
build/asan/paygw_probe: $(ASN)/obj/tests/paysim/paygw_probe.o $(ASN_LIBS)
	$(LINK_A)

build/bench/bare-fcgi: tests/bench/bare.c
	@mkdir -p build/bench
	@echo "  CC $@"
	@$(CC) -O2 -o $@ $< -lfcgi

# The portal: static files with content-hashed asset paths (scripts/build-web.sh).
web: build/web/index.html
build/web/index.html: $(shell find web -type f) scripts/build-web.sh
	@echo "  WEB build/web"
	@scripts/build-web.sh

# The portal's test tools (Playwright, axe-core) from the committed lockfile.
# npm trusts the certificate authorities the machine trusts (a site's own
# TLS-inspecting proxy included), not only Node's built-in list.
SYSTEM_CA = $(wildcard /etc/ssl/certs/ca-certificates.crt)
NPM = $(if $(SYSTEM_CA),NODE_EXTRA_CA_CERTS=$${NODE_EXTRA_CA_CERTS:-$(SYSTEM_CA)}) npm
node_modules/.package-lock.json: package.json package-lock.json
	@$(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

# Unit tests: small C programs over core and domain, built with sanitizers.
build/unit/%: $(ASN)/obj/tests/unit/%.o $(ASN_LIBS)
	@mkdir -p build/unit
	@echo "  LD $@"
	@$(CC) $(CFLAGS_A) -o $@ $< $(call link_libs,$(ASN_LIBS)) $(PKGLIBS)

unit: $(UNIT_TESTS)
	@tests/unit/run.sh $(UNIT_TESTS)

# Fuzz targets: replayed over their corpus and random inputs in `make test`
# (gcc + ASan, no extra packages); `make fuzz` runs them under libFuzzer.
build/fuzz/replay_%: $(ASN)/obj/tests/fuzz/%.o $(ASN)/obj/tests/fuzz/replay.o $(ASN_LIBS)
	@mkdir -p build/fuzz
	@echo "  LD $@"
	@$(CC) $(CFLAGS_A) -o $@ $(filter %.o,$^) $(call link_libs,$(ASN_LIBS)) $(PKGLIBS)

fuzz-replay: $(FUZZ_TARGETS:%=build/fuzz/replay_%)
	@for t in $(FUZZ_TARGETS); do build/fuzz/replay_$$t tests/fuzz/corpus/$$t 20000 || exit 1; done

fuzz: deps
	@scripts/deps.sh clang libclang-rt-14-dev
	@mkdir -p build/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  clang $(DEFS) -g -O1 -fsanitize=fuzzer,address,undefined $(PKGCFLAGS) -Ifcgi \
	    -o build/fuzz/$$t tests/fuzz/$$t.c $(LIB_SRC) $(PKGLIBS) || exit 1; \
	  mkdir -p build/fuzz/corpus-$$t; \
	  build/fuzz/$$t -max_total_time=$${FUZZ_SECONDS:-60} build/fuzz/corpus-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

run: deps build web
	@scripts/stack.sh run var

stop:
	@scripts/stack.sh stop var

# Synthetic registry data at region scale into the running `make run` stack
# (README, "Registry at region scale"); a second run adds more.
UNITS ?= 100000
SEED ?= 1
.PHONY: seed-scale
seed-scale: bin/tbctl
	@bin/tbctl seed-scale --units $(UNITS) --seed $(SEED)

# Past cases and archive queries for statistics (README, "Case history for
# statistics"); a second run adds more.
CASES ?= 100000
MONTHS ?= 24
.PHONY: seed-history
seed-history: bin/tbctl
	@bin/tbctl seed-history $(CASES) --seed $(SEED) --months $(MONTHS)

test:
	@scripts/deps.sh portal
	@$(MAKE) --no-print-directory build build-asan web node_modules/.package-lock.json
	@tests/run.sh

bench:
	@scripts/deps.sh portal
	@$(MAKE) --no-print-directory build web node_modules/.package-lock.json tests/bench/portal/node_modules/.package-lock.json
	@tests/bench/bench.sh

# make bench's Lighthouse, from its own lockfile: make test does not need it.
tests/bench/portal/node_modules/.package-lock.json: tests/bench/portal/package.json tests/bench/portal/package-lock.json
	@cd tests/bench/portal && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

clean:
	rm -rf bin build node_modules tests/bench/portal/node_modules

-include $(shell find build/obj build/asan/obj -name '*.d' 2>/dev/null)
