# deps.sh: what the Node suites' run scripts (tests/browser, tests/tus) share (sourced): Node 18
# or later, and the npm package their package-lock.json pins, installed with `npm ci` when
# node_modules is missing or holds another version.
# shellcheck shell=bash

# node_deps DIR PACKAGE LABEL: check node, install DIR's pinned PACKAGE when needed; LABEL
# prefixes the messages. Calls abort (the sourcing script's) on failure.
node_deps() {
	local dir=$1 pkg=$2 label=$3 lock want have
	node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
		abort "node $(node --version) is too old: the tests need Node 18 or later"
	# The version package-lock.json pins, and the one installed (empty when none).
	lock='console.log(require(process.argv[1]).packages["node_modules/" + process.argv[2]].version)'
	want=$(node -e "$lock" "$dir/package-lock.json" "$pkg") ||
		abort "cannot read $dir/package-lock.json"
	have=$(node -e 'try { console.log(require(process.argv[1]).version) } catch { console.log("") }' \
		"$dir/node_modules/$pkg/package.json")
	[ "$want" != "$have" ] || return 0
	echo "$label: installing $pkg $want (npm ci)"
	# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing, but say so anyway.
	(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) ||
		abort "npm ci failed in $dir"
}
