#!/usr/bin/env bash
# Every "semantics §N" / "reference §N" a comment cites names a section that exists in
# docs/licensing-semantics.md / docs/graph-licensing-reference.md (docs/style.md, "Comments": a
# bare §N continues the document named before it on the line, else it is the semantics).
set -euo pipefail
cd "$(dirname "$0")/.."

# Section numbers of a document: "## 4. Title" -> 4, "### 4.1 Title" -> 4.1.
sections() {
    sed -n 's/^##* \([0-9][0-9.]*\) .*/\1/p' "$1" | sed 's/\.$//'
}
semantics=" $(sections docs/licensing-semantics.md | tr '\n' ' ')"
reference=" $(sections docs/graph-licensing-reference.md | tr '\n' ' ')"

# file:line<TAB>doc<TAB>number for every citation (range ends included).
citations=$(grep -rn '§' service api db migrations tests README.md --include='*.c' \
    --include='*.h' --include='*.sql' --include='*.sh' --include='*.md' |
    grep -v '^tests/doc_citations\.sh:' |
    perl -ne '
        my ($where, $text) = /^([^:]+:\d+):(.*)$/ or next;
        my $doc = "";
        while ($text =~ /(licensing-semantics\.md|graph-licensing-reference\.md|semantics|reference)?\s*§\s*(\d+(?:\.\d+)?)((?:\s*-\s*§?\s*\d+(?:\.\d+)?)?)/g) {
            my ($name, $num, $range) = ($1, $2, $3);
            $doc = $name =~ /reference/ ? "reference" : "semantics" if defined $name && $name ne "";
            my $d = $doc ne "" ? $doc : "semantics";
            print "$where\t$d\t$num\n";
            print "$where\t$d\t$1\n" if $range =~ /(\d+(?:\.\d+)?)\s*$/;
        }')

bad=0
total=0
while IFS=$'\t' read -r where doc num; do
    [ -n "$where" ] || continue
    total=$((total + 1))
    list=$semantics
    [ "$doc" = reference ] && list=$reference
    case "$list" in
    *" $num "*) ;;
    *)
        echo "$where: $doc §$num: no such section in docs/"
        bad=$((bad + 1))
        ;;
    esac
done <<<"$citations"

echo "doc citations: $total, $bad unresolved"
[ "$bad" -eq 0 ]
