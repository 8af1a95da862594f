/**
 * @fileoverview Lexer: keywords vs identifiers, numbers, strings, comments, and the newline
 * post-pass (dropped inside (...) and [...], kept inside {...}, abandoned for a forgotten closer).
 */
import t from 'tap';
import { dropBracketedNewlines, tfgLexer } from '../../grammar/tokens.js';

function kinds(text: string, pass = false): string[] {
  const lx = tfgLexer.tokenize(text);
  const toks = pass ? dropBracketedNewlines(lx.tokens).tokens : lx.tokens;
  return toks.map((x) => `${x.tokenType.name}:${JSON.stringify(x.image)}`);
}

t.test('keywords do not eat identifiers', (t) => {
  t.same(kinds('def define graph graph_x in int None None1 not notx'), [
    'Def:"def"',
    'Identifier:"define"',
    'Graph:"graph"',
    'Identifier:"graph_x"',
    'In:"in"',
    'Identifier:"int"',
    'None:"None"',
    'Identifier:"None1"',
    'Not:"not"',
    'Identifier:"notx"',
  ]);
  t.end();
});

t.test('numbers: ints and floats', (t) => {
  t.same(kinds('3 3.0 .5 1e-3 2. 1E+2 x.y 1.e5'), [
    'IntLit:"3"',
    'FloatLit:"3.0"',
    'FloatLit:".5"',
    'FloatLit:"1e-3"',
    'FloatLit:"2."',
    'FloatLit:"1E+2"',
    'Identifier:"x"',
    'Dot:"."',
    'Identifier:"y"',
    'FloatLit:"1.e5"',
  ]);
  t.end();
});

t.test('operators, longest first; comments and strings', (t) => {
  t.same(kinds('a**=b//c->d<=e'), [
    'Identifier:"a"',
    'Power:"**"',
    'Assign:"="',
    'Identifier:"b"',
    'FloorDiv:"//"',
    'Identifier:"c"',
    'Arrow:"->"',
    'Identifier:"d"',
    'LessEq:"<="',
    'Identifier:"e"',
  ]);
  t.same(kinds("x = \"a#b\" # comment\n'c\\'d'"), ['Identifier:"x"', 'Assign:"="', 'QuotedString:"\\"a#b\\""', 'Newline:"\\n"', "QuotedString:\"'c\\\\'d'\""]);
  t.same(kinds('"open\nx'), ['UnterminatedString:"\\"open"', 'Newline:"\\n"', 'Identifier:"x"']);
  t.end();
});

t.test('newline post-pass', (t) => {
  t.same(kinds('f(a,\n b)\n[1,\n2]', true), [
    'Identifier:"f"',
    'LParen:"("',
    'Identifier:"a"',
    'Comma:","',
    'Identifier:"b"',
    'RParen:")"',
    'Newline:"\\n"',
    'LBracket:"["',
    'IntLit:"1"',
    'Comma:","',
    'IntLit:"2"',
    'RBracket:"]"',
  ]);
  t.same(kinds('f({\n})', true), ['Identifier:"f"', 'LParen:"("', 'LBrace:"{"', 'Newline:"\\n"', 'RBrace:"}"', 'RParen:")"']);
  t.same(kinds('}\n\nelse', true), ['RBrace:"}"', 'Else:"else"']);
  const r = dropBracketedNewlines(tfgLexer.tokenize('x = f(1\ny = 2').tokens);
  t.ok(
    r.tokens.some((x) => x.image === '\n'),
    'a forgotten ) does not swallow the next statement',
  );
  t.same(
    r.unclosed.map((x) => x.startOffset),
    [5],
  );
  const kw = dropBracketedNewlines(tfgLexer.tokenize('f(a,\n  b=1,\n  c=2)').tokens);
  t.notOk(
    kw.tokens.some((x) => x.image === '\n'),
    'keyword arguments on their own lines are fine',
  );
  t.same(kw.unclosed, []);
  t.end();
});
