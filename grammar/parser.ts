/**
 * @fileoverview The `.tfg` grammar as a pure chevrotain `CstParser` (no embedded actions):
 * tokens in, a concrete syntax tree out (to-ast.ts turns it into the AST of ast.ts).
 * Error recovery is on, so one pass reports several errors; messages come from
 * `tfgErrorMessages` as `message + '\u0000' + expected` and index.ts splits them.
 *
 * Expression precedence, loosest first (Python's): `a if c else b` < `or` < `and` < `not` <
 * comparisons (no chaining; to-ast reports `a < b < c`) < `+ -` < `* / // % @` < unary `- +`
 * < `**` (right-associative, its right operand may be unary) < postfix (call, index, attribute)
 * < atoms. The EBNF is in docs/language.md.
 */
import { CstParser, EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import * as T from './tokens.js';

/** Tokens an expression may start with (summarised as "expression" in error messages). */
export const expressionStart: readonly TokenType[] = [
  T.IntLit, T.FloatLit, T.StringLit, T.QuotedString, T.UnterminatedString, T.True, T.False, T.None,
  T.Identifier, T.LParen, T.LBracket, T.LBrace, T.Not, T.Plus, T.Minus, T.AddOp,
];

/** How a token type is named in messages: its label, else its name. */
export function tokenLabel(t: TokenType): string {
  if (t === EOF) return 'end of input';
  return t.LABEL ?? t.name;
}

/** How a found token is named in messages: `'x'` for most, `newline`/`end of input` for those. */
export function foundLabel(tok: IToken | undefined): string {
  if (!tok || tok.tokenType === EOF) return 'end of input';
  if (tok.tokenType === T.Newline) return 'newline';
  return `'${tok.image}'`;
}

function describeExpected(types: TokenType[]): string {
  const set = new Set<TokenType>(types);
  const names: string[] = [];
  const exprCore = [T.IntLit, T.Identifier, T.LParen, T.LBracket];
  if (exprCore.every((t) => set.has(t) || [...set].some((s) => s.CATEGORIES?.includes(t)))) {
    for (const t of expressionStart) set.delete(t);
    names.push('expression');
  }
  for (const t of set) {
    const label = tokenLabel(t);
    if (!names.includes(label)) names.push(label);
  }
  if (names.length <= 1) return names[0] ?? 'something else';
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** Separator between a message and its `expected` text in parser error messages. */
export const EXPECTED_SEP = '\u0000';

export const tfgErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    const exp = tokenLabel(expected);
    return `Expected ${exp} but found ${foundLabel(actual)}${EXPECTED_SEP}${exp}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `Unexpected ${foundLabel(firstRedundant)}${EXPECTED_SEP}statement`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual }) {
    const firsts: TokenType[] = [];
    for (const alt of expectedPathsPerAlt) for (const path of alt) if (path.length > 0) firsts.push(path[0]);
    const exp = describeExpected(firsts);
    return `Expected ${exp} but found ${foundLabel(actual[0])}${EXPECTED_SEP}${exp}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual }) {
    const firsts: TokenType[] = [];
    for (const path of expectedIterationPaths) if (path.length > 0) firsts.push(path[0]);
    const exp = describeExpected(firsts);
    return `Expected ${exp} but found ${foundLabel(actual[0])}${EXPECTED_SEP}${exp}`;
  },
};

export class TfgParser extends CstParser {
  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: 'onlyOffset',
      errorMessageProvider: tfgErrorMessages,
    });
    this.performSelfAnalysis();
  }

  /**
   * Single-token insertion recovery may invent a missing ')' or ']', but never a '{': an
   * invented block would swallow the rest of the file and end in a bogus "Expected '}'".
   */
  override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return tokType !== T.LBrace;
  }

  /** True when the next token closes a block (or the input ends): a separator is optional there. */
  private atBlockEnd(): boolean {
    const t = this.LA(1).tokenType;
    return t === T.RBrace || t === EOF;
  }

  /** After a ',' (and newlines), does another dict entry follow (rather than the closing '}')? */
  private commaThenEntry(): boolean {
    if (this.LA(1).tokenType !== T.Comma) return false;
    let i = 2;
    while (this.LA(i).tokenType === T.Newline) i++;
    const t = this.LA(i).tokenType;
    return t !== T.RBrace && t !== EOF;
  }

  // ---- statements ----

  program = this.RULE('program', () => {
    this.SUBRULE(this.statements);
  });

  /** Statements, each ended by its terminator (newlines or ';'; none needed before '}' or the end). */
  statements = this.RULE('statements', () => {
    this.MANY(() => this.CONSUME(T.Separator));
    this.MANY2(() => this.SUBRULE(this.statement));
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.defStmt) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
      { ALT: () => this.SUBRULE(this.withStmt) },
      { ALT: () => this.SUBRULE(this.graphStmt) },
      { ALT: () => this.SUBRULE(this.forStmt) },
      { ALT: () => this.SUBRULE(this.ifStmt) },
      { ALT: () => this.SUBRULE(this.signatureStmt) },
      { ALT: () => this.SUBRULE(this.trainStmt) },
      { ALT: () => this.SUBRULE(this.jumpStmt) },
      { ALT: () => this.SUBRULE(this.simpleStmt) },
    ]);
    this.SUBRULE(this.terminator);
  });

  /** Newlines or ';' after a statement or train entry; none needed before '}' or the end. */
  terminator = this.RULE('terminator', () => {
    this.OR([
      { ALT: () => this.AT_LEAST_ONE(() => this.CONSUME(T.Separator)) },
      { GATE: () => this.atBlockEnd(), ALT: () => {} },
    ]);
  });

  /** `{ statements }`; the '{' may be on the line after the header. */
  block = this.RULE('block', () => {
    this.MANY(() => this.CONSUME(T.Newline));
    this.CONSUME(T.LBrace);
    this.SUBRULE(this.statements);
    this.CONSUME(T.RBrace);
  });

  /** Expression statement, assignment `a, b = e` or augmented assignment `a += e`. */
  simpleStmt = this.RULE('simpleStmt', () => {
    this.SUBRULE(this.exprList);
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Assign);
            this.SUBRULE2(this.exprList);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.AugAssign);
            this.SUBRULE(this.test);
          },
        },
      ]);
    });
  });

  /** `e` or `e1, e2, ...` (a tuple when there is a comma). */
  exprList = this.RULE('exprList', () => {
    this.SUBRULE(this.test);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.test);
    });
    this.OPTION(() => this.CONSUME2(T.Comma));
  });

  defStmt = this.RULE('defStmt', () => {
    this.CONSUME(T.Def);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.param);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.param);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
    this.SUBRULE(this.block);
  });

  param = this.RULE('param', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Assign);
      this.SUBRULE(this.test);
    });
  });

  returnStmt = this.RULE('returnStmt', () => {
    this.CONSUME(T.Return);
    this.OPTION(() => this.SUBRULE(this.exprList));
  });

  withStmt = this.RULE('withStmt', () => {
    this.CONSUME(T.With);
    this.SUBRULE(this.test);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier);
    });
    this.SUBRULE(this.block);
  });

  graphStmt = this.RULE('graphStmt', () => {
    this.CONSUME(T.Graph);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.block);
  });

  forStmt = this.RULE('forStmt', () => {
    this.CONSUME(T.For);
    this.SUBRULE(this.target);
    this.CONSUME(T.In);
    this.SUBRULE(this.test);
    this.SUBRULE(this.block);
  });

  /** `a`, `a, b`, `(a, b), c`: names to bind in `for` and comprehensions. */
  target = this.RULE('target', () => {
    this.SUBRULE(this.targetItem);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.targetItem);
    });
    this.OPTION(() => this.CONSUME2(T.Comma));
  });

  targetItem = this.RULE('targetItem', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.target);
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.SUBRULE2(this.target);
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  /** `if t {..} elif t {..} else {..}`: test[i] and block[i] pair up; a last extra block is the else. */
  ifStmt = this.RULE('ifStmt', () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.test);
    this.SUBRULE(this.block);
    this.MANY(() => {
      this.CONSUME(T.Elif);
      this.SUBRULE2(this.test);
      this.SUBRULE2(this.block);
    });
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.SUBRULE3(this.block);
    });
  });

  signatureStmt = this.RULE('signatureStmt', () => {
    this.CONSUME(T.Signature);
    // A signature's name may be a keyword (`signature train(X, y) -> ...`): nothing else can stand there.
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Keyword) }]);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.test);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.test);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Arrow);
    this.SUBRULE(this.exprList);
  });

  trainStmt = this.RULE('trainStmt', () => {
    this.CONSUME(T.Train);
    this.OPTION(() => this.CONSUME(T.Identifier));
    this.SUBRULE(this.trainBlock);
  });

  trainBlock = this.RULE('trainBlock', () => {
    this.MANY(() => this.CONSUME(T.Newline));
    this.CONSUME(T.LBrace);
    this.MANY2(() => this.CONSUME(T.Separator));
    this.MANY3(() => this.SUBRULE(this.trainEntry));
    this.CONSUME(T.RBrace);
  });

  /** `key = expr` or `key { entries }`; a key may be any name, keywords included. */
  trainEntry = this.RULE('trainEntry', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Keyword) }]);
    this.OR2([
      {
        ALT: () => {
          this.CONSUME(T.Assign);
          this.SUBRULE(this.test);
        },
      },
      { ALT: () => this.SUBRULE(this.trainBlock) },
    ]);
    this.SUBRULE(this.terminator);
  });

  /** `pass`, `break`, `continue`. */
  jumpStmt = this.RULE('jumpStmt', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Pass) },
      { ALT: () => this.CONSUME(T.Break) },
      { ALT: () => this.CONSUME(T.Continue) },
    ]);
  });

  // ---- expressions ----

  /** `body if test else orelse`, or an `or` expression. */
  test = this.RULE('test', () => {
    this.SUBRULE(this.orTest);
    this.OPTION(() => {
      this.CONSUME(T.If);
      this.SUBRULE2(this.orTest);
      this.CONSUME(T.Else);
      this.SUBRULE(this.test);
    });
  });

  orTest = this.RULE('orTest', () => {
    this.SUBRULE(this.andTest);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andTest);
    });
  });

  andTest = this.RULE('andTest', () => {
    this.SUBRULE(this.notTest);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notTest);
    });
  });

  notTest = this.RULE('notTest', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notTest);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  /** Parsed as a list so to-ast can report chained comparisons with a clear message. */
  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.arith);
    this.MANY(() => {
      this.CONSUME(T.CompareOp);
      this.SUBRULE2(this.arith);
    });
  });

  arith = this.RULE('arith', () => {
    this.SUBRULE(this.term);
    this.MANY(() => {
      this.CONSUME(T.AddOp);
      this.SUBRULE2(this.term);
    });
  });

  term = this.RULE('term', () => {
    this.SUBRULE(this.factor);
    this.MANY(() => {
      this.CONSUME(T.MulOp);
      this.SUBRULE2(this.factor);
    });
  });

  /** Unary `-x`, `+x`, or a power. */
  factor = this.RULE('factor', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.AddOp);
          this.SUBRULE(this.factor);
        },
      },
      { ALT: () => this.SUBRULE(this.power) },
    ]);
  });

  /** `a ** b`: right-associative; the exponent is a factor, so `2 ** -1` works. */
  power = this.RULE('power', () => {
    this.SUBRULE(this.postfix);
    this.OPTION(() => {
      this.CONSUME(T.Power);
      this.SUBRULE(this.factor);
    });
  });

  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.atom);
    this.MANY(() => this.SUBRULE(this.trailer));
  });

  /** `(args)`, `[indices]` or `.name` (any name, keywords included). */
  trailer = this.RULE('trailer', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.OPTION(() => {
            this.SUBRULE(this.arg);
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.arg);
            });
            this.OPTION2(() => this.CONSUME2(T.Comma));
          });
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.SUBRULE(this.subscript);
          this.MANY2(() => {
            this.CONSUME3(T.Comma);
            this.SUBRULE2(this.subscript);
          });
          this.OPTION3(() => this.CONSUME4(T.Comma));
          this.CONSUME(T.RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          this.OR2([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Keyword) }]);
        },
      },
    ]);
  });

  /** `name=value` or a positional value. */
  arg = this.RULE('arg', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.CONSUME(T.Assign);
          this.SUBRULE(this.test);
        },
      },
      { ALT: () => this.SUBRULE2(this.test) },
    ]);
  });

  /** An index `i` or a slice `start:stop:step` with any part missing. */
  subscript = this.RULE('subscript', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Colon);
          this.SUBRULE(this.sliceTail);
        },
      },
      {
        ALT: () => {
          this.SUBRULE(this.test);
          this.OPTION(() => {
            this.CONSUME2(T.Colon);
            this.SUBRULE2(this.sliceTail);
          });
        },
      },
    ]);
  });

  /** What follows a slice's first ':': `[stop] [':' [step]]`. */
  sliceTail = this.RULE('sliceTail', () => {
    this.OPTION(() => this.SUBRULE(this.test));
    this.OPTION2(() => this.SUBRULE(this.sliceStep));
  });

  sliceStep = this.RULE('sliceStep', () => {
    this.CONSUME(T.Colon);
    this.OPTION(() => this.SUBRULE(this.test));
  });

  atom = this.RULE('atom', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.IntLit) },
      { ALT: () => this.CONSUME(T.FloatLit) },
      { ALT: () => this.AT_LEAST_ONE(() => this.CONSUME(T.StringLit)) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.None) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.SUBRULE(this.listAtom) },
      { ALT: () => this.SUBRULE(this.parenAtom) },
      { ALT: () => this.SUBRULE(this.dictAtom) },
    ]);
  });

  /** `[a, b]` or `[elt for target in iter if cond]`. */
  listAtom = this.RULE('listAtom', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.test);
      this.OR([
        { ALT: () => this.SUBRULE(this.compFor) },
        {
          ALT: () => {
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.test);
            });
            this.OPTION2(() => this.CONSUME2(T.Comma));
          },
        },
      ]);
    });
    this.CONSUME(T.RBracket);
  });

  compFor = this.RULE('compFor', () => {
    this.CONSUME(T.For);
    this.SUBRULE(this.target);
    this.CONSUME(T.In);
    this.SUBRULE(this.orTest);
    this.MANY(() => {
      this.CONSUME(T.If);
      this.SUBRULE2(this.orTest);
    });
  });

  /** `(e)` is e; `()`, `(e,)`, `(a, b)` are tuples. */
  parenAtom = this.RULE('parenAtom', () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.test);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.test);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
  });

  /** `{k: v, ...}` in expression position; newlines may appear around entries and commas. */
  dictAtom = this.RULE('dictAtom', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.CONSUME(T.Newline));
    this.OPTION(() => {
      this.SUBRULE(this.dictEntry);
      this.MANY2(() => this.CONSUME2(T.Newline));
      this.MANY3({
        GATE: () => this.commaThenEntry(),
        DEF: () => {
          this.CONSUME(T.Comma);
          this.MANY4(() => this.CONSUME3(T.Newline));
          this.SUBRULE2(this.dictEntry);
          this.MANY5(() => this.CONSUME4(T.Newline));
        },
      });
      this.OPTION2(() => {
        this.CONSUME2(T.Comma);
        this.MANY6(() => this.CONSUME5(T.Newline));
      });
    });
    this.CONSUME(T.RBrace);
  });

  dictEntry = this.RULE('dictEntry', () => {
    this.SUBRULE(this.test);
    this.CONSUME(T.Colon);
    this.MANY(() => this.CONSUME(T.Newline));
    this.SUBRULE2(this.test);
  });
}

/** The one parser instance (building it is costly; reuse it with `parser.input = tokens`). */
export const parser = new TfgParser();
