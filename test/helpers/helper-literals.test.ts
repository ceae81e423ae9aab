import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { MAX_HELPER_ID, helperName } from '../../src/uapi/helper-names.js';
import { ROOT } from '../kernel/require-kernel.js';

/**
 * The helper table (src/helpers/table.ts and the prototype files it reads) is the only place a
 * helper is described: nothing else in src/ may name a helper by its number. This finds the
 * ways code does it: comparing an instruction's `imm` (in call code) or an id with a number,
 * `case N:` on an id, helper-named constants and sets of numbers, and table lookups by number.
 */
const TABLE_FILES = new Set(['src/helpers/table.ts', 'src/helpers/protos.ts', 'src/helpers/func-protos.ts', 'src/uapi/helper-names.ts']);
/** Numbers that are helper ids of another numbering than the kernel's: bpf_conformance's own helper 5 (unwind). */
const OTHER_NUMBERING = new Set(['src/sim/conformance.ts']);

const ID_NAME = /(^|\.)(id|helperId|helper_id|funcId|func_id)$/;
const LOOKUPS = /^(helperName|helperById|protoFor|protoSymbolFor|helperAllowed|gplOnly|changesPacketData|helperShape|helperArgCount|mayMovePacket)$/;
const HELPER_DECL = /BPF_FUNC|HELPER_?(ID|ARG)|HELPERS?$|KEEPS_PACKET|CONSTANT_CANDIDATES/i;

function isHelperNumber(node: ts.Node): boolean {
  if (!ts.isNumericLiteral(node) || (ts.isPrefixUnaryExpression(node.parent) && node.parent.operator === ts.SyntaxKind.MinusToken)) return false;
  const n = Number(node.text);
  return Number.isInteger(n) && n >= 1 && n <= MAX_HELPER_ID;
}

/** The conditions of the if/else-if chain `node` sits in, as text. */
function chainConditions(node: ts.Node): string {
  let stmt: ts.Node | undefined = node;
  while (stmt && !ts.isIfStatement(stmt)) stmt = stmt.parent;
  if (!stmt) return '';
  while (ts.isIfStatement(stmt.parent) && stmt.parent.elseStatement === stmt) stmt = stmt.parent;
  let text = '';
  for (let s: ts.Statement | undefined = stmt as ts.IfStatement; s && ts.isIfStatement(s); s = s.elseStatement) text += ` ${s.expression.getText()}`;
  return text;
}

/** True when `node` is in code about calls: its expression, statement or if-chain mentions the call opcode or the call's src. */
function inCallCode(node: ts.Node): boolean {
  const CALL = /0x85|0x8d|\bsrc\b|BPF_CALL|CALL_HELPER/;
  let stmt: ts.Node = node;
  while (stmt.parent && !ts.isStatement(stmt)) stmt = stmt.parent;
  if (CALL.test(stmt.getText().split('\n')[0]!)) return true;
  for (let p: ts.Node | undefined = node; p; p = p.parent) if (ts.isIfStatement(p) && CALL.test(chainConditions(p))) return true;
  return CALL.test(chainConditions(node));
}

/** Every place in `source` that names a helper by its number, as `line: text`. */
export function helperLiterals(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node) => found.push(`${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText()}`);
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node)) {
      const op = node.operatorToken.kind;
      const eq = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
      const [lit, other] = isHelperNumber(node.right) ? [node.right, node.left] : isHelperNumber(node.left) ? [node.left, node.right] : [undefined, undefined];
      if (eq && lit && other) {
        const text = other.getText();
        if (ID_NAME.test(text) || (/(^|\.)imm$/.test(text) && inCallCode(node))) report(node);
      }
    }
    if (ts.isCaseClause(node) && isHelperNumber(node.expression)) {
      const sw = node.parent.parent;
      const text = sw.expression.getText();
      if (ID_NAME.test(text) || (/(^|\.)imm$/.test(text) && inCallCode(sw))) report(node.expression);
    }
    const init = ts.isVariableDeclaration(node) ? node.initializer : undefined;
    if (init && (ts.isNumericLiteral(init) || ts.isArrayLiteralExpression(init) || ts.isNewExpression(init)) && HELPER_DECL.test((node as ts.VariableDeclaration).name.getText())) {
      let numbers = false;
      const scan = (n: ts.Node): void => {
        if (isHelperNumber(n)) numbers = true;
        n.forEachChild(scan);
      };
      scan(init);
      if (numbers) report(node);
    }
    if (ts.isCallExpression(node) && node.arguments.some(isHelperNumber)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
      const onRegistry = ts.isPropertyAccessExpression(callee) && name === 'get' && /helpers|registry/i.test(callee.expression.getText());
      if (LOOKUPS.test(name) || onRegistry) report(node);
    }
    node.forEachChild(visit);
  };
  visit(sf);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('helper ids', () => {
  it.each([
    { name: 'a bare id test in call code', have: 'if (insn.opcode === 0x85 && insn.src === 0 && insn.imm === 12) f();' },
    { name: 'an id test in an else-if chain about calls', have: 'if (insn.src === 1) a(); else if (insn.imm === 12) b();' },
    { name: 'an id compared the other way round', have: 'if (insn.opcode === 0x85 && 23 === insn.imm) f();' },
    { name: 'an id variable', have: 'const inline = id === 1;' },
    { name: 'a switch on an id', have: 'switch (helperId) { case 69: break; }' },
    { name: 'a helper-named constant', have: 'const BPF_FUNC_REDIRECT = 23;' },
    { name: 'a set of helper numbers', have: 'const KEEPS_PACKET = new Set([1, 2, 3]);' },
    { name: 'a map of helper numbers', have: 'const HELPER_ARGS = new Map([[1, 2], [2, 4]]);' },
    { name: 'a table lookup by number', have: 'const n = helperName(69);' },
    { name: 'a registry lookup by number', have: 'const def = machine.helpers.get(1);' },
  ])('finds $name', ({ have }) => {
    expect(helperLiterals('x.ts', have)).toHaveLength(1);
  });

  it.each([
    { name: 'a byte-swap width', have: 'if (insn.imm !== 16 && insn.imm !== 32) fail();' },
    { name: 'a register number', have: 'if (insn.dst === 10) fail();' },
    { name: 'an offset', have: 'const off = base + 12;' },
  ])('leaves $name alone', ({ have }) => {
    expect(helperLiterals('x.ts', have)).toEqual([]);
  });

  it('appear as numbers only in the helper table', () => {
    const found = sourceFiles(join(ROOT, 'src'))
      .filter((path) => !TABLE_FILES.has(relative(ROOT, path)) && !OTHER_NUMBERING.has(relative(ROOT, path)))
      .flatMap((path) => helperLiterals(path, readFileSync(path, 'utf8')).map((hit) => `${relative(ROOT, path)}:${hit}`));
    expect(found).toEqual([]);
  });
});

/**
 * What src/vm may not know: a helper's or a map type's semantics (issue 9: inline forms live with
 * their helper, layouts with their map type). Identifiers and string literals in code (comments
 * are free) naming a helper (`bpf_redirect`, `fib_lookup`), the FIB, checksums, redirects, a hash
 * map's layout or a program's verdicts (XDP_*, TC_ACT_*) are reported as `line: text`.
 */
const VM_FORBIDDEN = /fib|csum|redirect|hash|XDP_(ABORTED|DROP|PASS|TX|REDIRECT)|XDP_ACTION|TC_ACT/i;
const HELPER_NAMES = new Set(Array.from({ length: MAX_HELPER_ID }, (_, i) => helperName(i + 1)).flatMap((n) => [n, n.replace(/^bpf_/, '')]).filter((n) => n.includes('_')));

export function helperSemantics(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isIdentifier(node) || ts.isStringLiteralLike(node)) && (VM_FORBIDDEN.test(node.text) || HELPER_NAMES.has(node.text))) {
      found.push(`${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.text}`);
    }
    node.forEachChild(visit);
  };
  visit(sf);
  return found;
}

describe('helper and map semantics', () => {
  it.each([
    { name: 'a FIB layout', have: 'const x = FIB_LAYOUT.ROUTES;' },
    { name: 'an action number by name', have: 'f.i64(XDP_ACTION.XDP_REDIRECT);' },
    { name: 'a TC verdict', have: 'return TC_ACT.TC_ACT_SHOT;' },
    { name: 'a hash map record', have: 'f.mem(Op.i32_load, HASH_LAYOUT.KEY_SIZE);' },
    { name: 'an inline form by name', have: "if (shape.inline === 'csum-diff') f();" },
    { name: 'a helper by its kernel name', have: "const n = 'map_lookup_elem';" },
  ])('finds $name', ({ have }) => {
    expect(helperSemantics('x.ts', have)).not.toEqual([]);
  });

  it('are unknown to src/vm (comments aside)', () => {
    const found = sourceFiles(join(ROOT, 'src', 'vm')).flatMap((path) => helperSemantics(path, readFileSync(path, 'utf8')).map((hit) => `${relative(ROOT, path)}:${hit}`));
    expect(found).toEqual([]);
  });
});
