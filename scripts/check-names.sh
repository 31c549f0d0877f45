#!/usr/bin/env bash
# Fails if a name of the wire contract (namespace path, event, error code, refusal reason,
# notification kind, the `general` room) is spelled as a string literal outside crates/protocol,
# which owns them all: in plain quotes, in escaped quotes inside another string (`"[\"join\"]"`),
# or in backticks.
# The names come from crates/protocol/contract.json; comments and the database layer's SQL
# enum values (crates/store) are not wire names and are not searched, nor are HTML `role=` and
# `type=` attribute values (`role="search"` is HTML's word, not the event's).
set -euo pipefail
cd "$(dirname "$0")/.."
names=$(python3 - <<'PY'
import json
c = json.load(open("crates/protocol/contract.json"))
names = set()
for section in ("requests", "events"):
    for events in c[section].values():
        names |= set(events.values())
names.add(c["error_event"])
for section in ("errors", "refusals", "kinds"):
    names |= set(c[section].values())
names.add(c["general"])
names |= set(c["namespaces"].values())
print("|".join(sorted(names)))
PY
)
pattern="\\\\?[\"'\`](${names})\\\\?[\"'\`]"
found=$(grep -rnE "$pattern" \
  --include='*.rs' --include='*.ts' \
  --exclude-dir=node_modules app frontend server bench crates/socket-client end2end/tests 2>/dev/null \
  | grep -vE '^[^:]+:[0-9]+:\s*(//|\*|/\*)' \
  | grep -vE '\b(role|type)="[a-z]+"' || true)
if [ -n "$found" ]; then
  echo "Contract names spelled outside crates/protocol (use its constants or contract.json):" >&2
  echo "$found" >&2
  exit 1
fi
echo "contract names: spelled only in crates/protocol"
