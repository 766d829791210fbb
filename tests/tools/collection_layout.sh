#!/usr/bin/env bash
# Copies the checkout into DEST/ansible_collections/syncops/btsync, the layout
# ansible-test insists on, and prints that path.  Only files git knows about
# (tracked, or new and not ignored) are copied: venvs, build output and caches
# would otherwise fail sanity tests that are not about our code.
set -euo pipefail
dest="${1:?usage: $0 DEST}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="$dest/ansible_collections/syncops/btsync"
rm -rf "$target"
mkdir -p "$target"
cd "$root"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | rsync -a --from0 --files-from=- ./ "$target/"
# ansible-test lists files through git when it finds a repository.
git -C "$target" init -q
git -C "$target" add -A
echo "$target"
