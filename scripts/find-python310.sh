#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6.21 needs >=3.8,<3.11; we pin 3.10).
# Looks on PATH first, then in pyenv's installed versions. Exits 1 with advice if none is found.
set -euo pipefail

is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

for candidate in "${LOTSEN_PYTHON310:-}" python3.10; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null || true)
  if [ -n "$path" ] && is_310 "$path"; then echo "$path"; exit 0; fi
done

roots=()
command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root)")
roots+=("${PYENV_ROOT:-$HOME/.pyenv}")
for root in "${roots[@]}"; do
  for path in $(ls -d "$root"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
    if is_310 "$path"; then echo "$path"; exit 0; fi
  done
done

cat >&2 <<'MSG'
error: no Python 3.10 interpreter found (Rasa 3.6.21 needs Python 3.10).
Install one, then run make again:
  pyenv install 3.10.13        # with pyenv
  apt-get install python3.10   # or from your distribution, where it is packaged
Or point LOTSEN_PYTHON310 at an existing python3.10 binary.
MSG
exit 1
