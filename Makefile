# genform's build. `make test` is the whole suite (what CI runs); `make demo` runs the
# quickstart example offline.
GO      ?= go
BIN     ?= bin/genform

.PHONY: build test lint bench clean demo crashtest

build:
	$(GO) build -buildvcs=auto -o $(BIN) .

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: lint
	$(GO) test -race -count=1 -timeout 25m ./...

# demo applies the quickstart example offline (no network, no key); a second run says there
# is nothing to do.
demo: build
	$(BIN) -chdir=examples/quickstart apply -auto-approve
	@echo
	@echo "The generated files are in examples/quickstart/out/:"
	@ls -1 examples/quickstart/out | sed 's/^/  /'
	@echo "Try: $(BIN) -chdir=examples/quickstart plan -var brand=\"Moon Tea\"   (or see README.md)"

# crashtest kills 200 applies of a mixed project against the fake gateway at random moments
# and checks nothing paid is lost or paid twice (make test runs 4 rounds, 30 when CI=true).
crashtest:
	$(GO) test -count=1 -run 'TestCrashHarness$$' -v -crash.rounds=200 -timeout 60m .

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
