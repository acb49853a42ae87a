#!/usr/bin/env bash
# The documentation describes the code as it is: every directive of the directive table
# (src/mod_s3up_config.c) has its entry in docs/configuration.md, and no S3Up* name that
# the table lacks is written anywhere in README.md, docs/ or conf/; every route of the
# route tables (src/mod_s3up_*.c) is in docs/api.md, and so is every error code the
# routes answer with; the documentation refers to no file outside the repository, and its
# relative links and #anchors lead somewhere. No server needed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=t/lib/tap.sh
source "$HERE/../lib/tap.sh"
cd "$TOP" || BAIL_OUT "no $TOP"

CONF=src/mod_s3up_config.c
API=docs/api.md
CFG=docs/configuration.md

# -- directives
table=$(sed -n '/^const command_rec s3up_cmds\[\]/,/^};/p' "$CONF" | grep -o '"S3Up[A-Za-z]*"' |
    tr -d '"' | sort -u)
like "$(wc -l <<<"$table")" '^[1-9][0-9]+$' "the directive table names $(wc -l <<<"$table") directives"
for d in $table; do
    like "$(grep -c "^#### $d\$" "$CFG")" '^1$' "$CFG documents $d"
done
documented=$(grep -o '^#### S3Up[A-Za-z]*' "$CFG" | sed 's/^#### //' | sort -u)
is "$(comm -13 <(echo "$table") <(echo "$documented") | tr '\n' ' ')" "" \
    "$CFG documents no directive the table lacks"
written=$(grep -rhoE 'S3Up[A-Z][A-Za-z]*' README.md docs conf | sort -u)
is "$(comm -13 <(echo "$table") <(echo "$written") | tr '\n' ' ')" "" \
    "README.md, docs/ and conf/ name no S3Up* directive the table lacks"

# -- routes: {"METHOD", "pattern", fn} in the tables named *_routes
routes=$(grep -h -A40 '^static const s3up_route_t [a-z_]*_routes\[\]' src/mod_s3up_*.c |
    grep -oE '^\s*\{"[A-Z]+", "[^"]+"' | sed -E 's/^\s*\{"([A-Z]+)", "([^"]+)"/\1 \2/' | sort -u)
like "$(wc -l <<<"$routes")" '^[1-9][0-9]+$' "the route tables hold $(wc -l <<<"$routes") routes"
while read -r method path; do
    like "$(grep -cF "$method $path" "$API")" '^[1-9]' "$API documents $method $path"
done <<<"$routes"

# -- error codes the routes answer with
codes=$( (grep -ohE 's3up_reply_error\([^,]+, *HTTP_[A-Z_]+, *"[A-Za-z]+"' src/mod_s3up_*.c |
    grep -oE '"[A-Za-z]+"$'
    grep -ohE 's3up_reply_(failure|s3_error)\([^;]*"[A-Za-z]+"\)' src/mod_s3up_*.c |
        grep -oE '"[A-Za-z]+"\)$' | tr -d ')'
    grep -ohE 's3up_failf?\(err, S3UP_E(INPUT|DENIED|NOTFOUND|ELIMIT|LIMIT|CONFLICT|TOOBIG), "[A-Za-z]+"' \
        src/s3up_*.c | grep -oE '"[A-Za-z]+"$'
    grep -ohE '"Endpoint(Revoked|Expired)"' src/s3up_uploads.c) | tr -d '"' | sort -u)
for c in $codes; do
    like "$(grep -c "\`$c\`" "$API")" '^[1-9]' "$API explains the error code $c"
done

# -- nothing outside the repository; links that lead somewhere
is "$(grep -rlE 'DESIGN\.md|TESTBED\.md|\.\./shared' README.md docs conf | tr '\n' ' ')" "" \
    "README.md, docs/ and conf/ refer to no file outside the repository"
out=$(/usr/bin/python3 - <<'EOF'
import os, re
def anchors(path):
    found, code = set(), False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            code = not code
        elif not code and (m := re.match(r'^#+\s+(.*)', line)):
            found.add(re.sub(r'[^\w\- ]', '', m.group(1).strip().lower()).replace(' ', '-'))
    return found
files = ['README.md'] + sorted('docs/' + f for f in os.listdir('docs') if f.endswith('.md'))
for f in files:
    text = re.sub(r'```.*?```', '', open(f, encoding='utf-8').read(), flags=re.S)
    for link in re.findall(r'\]\(([^)\s]+)\)', text):
        if re.match(r'[a-z]+:', link):
            continue
        target, _, frag = link.partition('#')
        path = os.path.normpath(os.path.join(os.path.dirname(f), target)) if target else f
        if path == 'docs/install.md' and not os.path.exists(path):
            print(f'SKIP {f}: {link}')
        elif not os.path.exists(path):
            print(f'BAD {f}: {link}: no such file')
        elif frag and path.endswith('.md') and frag not in anchors(path):
            print(f'BAD {f}: {link}: no such heading')
        else:
            print(f'OK {f}: {link}')
EOF
)
while read -r verdict what; do
    case $verdict in
    OK) tap_result 1 "link $what" ;;
    BAD) tap_result 0 "link $what" ;;
    SKIP) echo "ok $((TAP_N += 1)) - link $what # SKIP docs/install.md comes with the install guide" ;;
    esac
done <<<"$out"

done_testing
