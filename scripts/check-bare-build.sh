#!/usr/bin/env bash
# Builds the package as a machine without libedit's (or readline's) headers
# would: SQLite's are the only C headers a build may need. profiles-cli
# loads libedit at run time (Sources/profiles-cli/LibEdit.swift); this
# keeps a target needing the headers again from coming back unnoticed.
#
#   scripts/check-bare-build.sh                          # the whole package (debug)
#   scripts/check-bare-build.sh --product profiles-cli   # just the client: quicker
#
# Arguments go to `swift build`. The build uses a scratch path of its own
# (.build-bare), so the normal .build is untouched; a second one is
# incremental. Where the headers are installed they are hidden for the
# build only, in a private mount namespace (needs root and unshare(1)):
# an empty tmpfs over each header folder, and over each header file a file
# holding `#error`. Where they are not installed there is nothing to hide.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-bare
folders=() files=()
for path in /usr/include/editline /usr/include/readline; do
  [[ -d $path ]] && folders+=("$path")
done
for path in /usr/include/histedit.h; do
  [[ -e $path ]] && files+=("$path")
done

build=(swift build --scratch-path "$scratch" "$@")
start=$SECONDS
if ((${#folders[@]} + ${#files[@]} == 0)); then
  echo "check-bare-build: no libedit or readline headers installed; building as it is"
  "${build[@]}"
else
  if [[ $(id -u) != 0 ]] || ! command -v unshare >/dev/null; then
    echo "check-bare-build: cannot hide ${folders[*]} ${files[*]} (needs root and unshare)" >&2
    exit 1
  fi
  echo "check-bare-build: hiding ${folders[*]} ${files[*]}"
  blocker=$(mktemp)
  trap 'rm -f "$blocker"' EXIT
  echo '#error "hidden by scripts/check-bare-build.sh: the package must build without this header"' > "$blocker"
  # The mounts live and die with this namespace; the rest of the machine
  # keeps seeing the headers.
  unshare --mount --propagation private bash -euo pipefail -c '
    blocker=$1; shift
    folders=(); while [[ $1 != -- ]]; do folders+=("$1"); shift; done; shift
    files=();   while [[ $1 != -- ]]; do files+=("$1"); shift; done; shift
    for folder in "${folders[@]}"; do mount -t tmpfs -o ro,size=1m hidden "$folder"; done
    for file in "${files[@]}"; do mount --bind -o ro "$blocker" "$file"; done
    for folder in "${folders[@]}"; do
      if [[ -n $(ls -A "$folder") ]]; then echo "check-bare-build: $folder still visible" >&2; exit 1; fi
    done
    exec "$@"
  ' check-bare-build "$blocker" "${folders[@]}" -- "${files[@]}" -- "${build[@]}"
fi
echo "check-bare-build: built without libedit's headers in $((SECONDS - start)) s"
