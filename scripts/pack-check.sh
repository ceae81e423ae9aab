#!/usr/bin/env bash
# The npm package as a user gets it: `npm pack` this clone, install the tarball into an empty
# project with typescript, vitest, tsx and fast-check from the registry, then typecheck the README's
# examples with `tsc --noEmit`, run them (the vitest one with vitest), and run `bpfsim --version`.
# The examples read build/bpf/*.o, which the project gets from this clone's build.
# Exit 0 when all of it works; the last line on failure says what did not.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "pack-check: $*"; exit 1; }

cd "$root"
tarball=$(npm pack --silent --pack-destination "$work" 2>/dev/null | tail -1) || fail "npm pack failed"
[[ -f $work/$tarball ]] || fail "npm pack wrote no tarball"
if tar -tzf "$work/$tarball" | grep -qE '^package/(src|test|node_modules)/'; then fail "the tarball ships src/, test/ or node_modules/"; fi

project=$work/project
mkdir -p "$project/build"
cp -r "$root/build/bpf" "$project/build/bpf"
cd "$project"
cat > package.json <<'JSON'
{ "name": "bpfsim-pack-check", "private": true, "type": "module" }
JSON
npm install --silent --no-audit --no-fund "$work/$tarball" typescript vitest tsx fast-check @types/node >/dev/null 2>&1 || fail "npm install of the tarball failed"

node --input-type=module - "$root/README.md" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
const readme = readFileSync(process.argv[2], 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
examples.forEach((code, i) => writeFileSync(code.includes("from 'vitest'") ? `example-${i}.test.ts` : `example-${i}.ts`, `${code}\nexport {};\n`));
JS
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true, "noEmit": true, "skipLibCheck": false, "types": ["node"] }, "include": ["*.ts"] }
JSON
npx tsc --noEmit -p tsconfig.json >tsc.log 2>&1 || { cat tsc.log | head -20; fail "tsc --noEmit of the README's examples failed"; }
for f in example-*.ts; do
  [[ $f == *.test.ts ]] && continue
  npx tsx "$f" >/dev/null 2>run.log || { tail -5 run.log; fail "$f failed"; }
done
if ls example-*.test.ts >/dev/null 2>&1; then
  NO_COLOR=1 npx vitest run >vitest.log 2>&1 || { tail -20 vitest.log; fail "the README's vitest example failed"; }
fi
version=$(npx bpfsim --version) || fail "bpfsim --version failed"
[[ $version == "$(node -p "require('$root/package.json').version")" ]] || fail "bpfsim --version printed '$version'"
echo "pack-check: $tarball installs into an empty project, typechecks and runs the README's examples"
