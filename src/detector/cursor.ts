/** A cursor over the significant tokens of one statement, with the matching helpers the parser uses. */
import type { Token } from './lexer.js';

/** For every `(` or `[`, the index of its matching closer (or the length when unbalanced). O(n). */
export function computeMatches(toks: Token[]): Int32Array {
  const match = new Int32Array(toks.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as Token;
    if (t.type !== 'punct') continue;
    if (t.text === '(' || t.text === '[') stack.push(i);
    else if ((t.text === ')' || t.text === ']') && stack.length > 0)
      match[stack.pop() as number] = i;
  }
  for (const open of stack) match[open] = toks.length;
  return match;
}

export class Cursor {
  // `declare`d and assigned in the constructor: no class-field semantics
  // (defineProperty per field once bundled for ES2020), the parser makes many cursors
  declare pos: number;
  declare readonly end: number;
  declare readonly toks: Token[];
  declare readonly match: Int32Array;
  constructor(toks: Token[], match: Int32Array, pos = 0, end = toks.length) {
    this.toks = toks;
    this.match = match;
    this.pos = pos;
    this.end = end;
  }

  static of(toks: Token[]): Cursor {
    return new Cursor(toks, computeMatches(toks));
  }

  peek(k = 0): Token | undefined {
    const i = this.pos + k;
    return i < this.end ? this.toks[i] : undefined;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  next(): Token | undefined {
    const t = this.peek();
    if (t) this.pos++;
    return t;
  }

  /** True when the token at offset k is the unquoted keyword `word`. */
  isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.type === 'ident' && t.value === word;
  }

  /** True when the next tokens are the given keywords, in order. */
  peekKws(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) if (!this.isKw(words[k] as string, k)) return false;
    return true;
  }

  /** Consumes the keywords when all of them follow; returns whether it did. */
  kw(...words: string[]): boolean {
    if (!this.peekKws(...words)) return false;
    this.pos += words.length;
    return true;
  }

  isPunct(p: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.type === 'punct' && t.text === p;
  }

  punct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.pos++;
    return true;
  }

  isOp(op: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.type === 'op' && t.text === op;
  }

  /** True when the token at offset k can be (part of) a name. */
  isName(k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && (t.type === 'ident' || t.type === 'qident');
  }

  /** One identifier's normalised value, or undefined (without consuming) when none follows. */
  ident(): string | undefined {
    if (!this.isName()) return undefined;
    return this.next()?.value;
  }

  /** A dotted name, e.g. `public."Users"` → ['public', 'Users']; undefined when none follows. */
  name(): string[] | undefined {
    if (!this.isName()) return undefined;
    const parts: string[] = [this.next()?.value ?? ''];
    while (this.isPunct('.') && this.isName(1)) {
      this.pos++;
      parts.push(this.next()?.value ?? '');
    }
    return parts;
  }

  /** Index of the `)` matching the `(` at index `open`, or `end` when unbalanced. */
  matchParen(open: number): number {
    const m = this.match[open] ?? -1;
    return m < 0 ? open : Math.min(m, this.end);
  }

  /** When at `(`, returns a cursor over its content and moves past the `)`. */
  parens(): Cursor | undefined {
    if (!this.isPunct('(')) return undefined;
    const close = this.matchParen(this.pos);
    const inner = new Cursor(this.toks, this.match, this.pos + 1, close);
    this.pos = Math.min(close + 1, this.end);
    return inner;
  }

  /** Skips one balanced group or one token. */
  skipOne(): void {
    if (this.isPunct('(') || this.isPunct('['))
      this.pos = Math.min(this.matchParen(this.pos) + 1, this.end);
    else this.pos++;
  }

  /** Splits the rest of this cursor at top-level commas. */
  splitCommas(): Cursor[] {
    const out: Cursor[] = [];
    let from = this.pos;
    for (let i = this.pos; i < this.end; i++) {
      const t = this.toks[i] as Token;
      if (t.type !== 'punct') continue;
      if (t.text === '(' || t.text === '[') i = this.matchParen(i);
      else if (t.text === ',') {
        out.push(new Cursor(this.toks, this.match, from, i));
        from = i + 1;
      }
    }
    out.push(new Cursor(this.toks, this.match, from, this.end));
    this.pos = this.end;
    return out;
  }

  /** Position of the first top-level keyword among `words` from here, or -1. */
  findKw(words: string[]): number {
    for (let i = this.pos; i < this.end; i++) {
      const t = this.toks[i] as Token;
      if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = this.matchParen(i);
      else if (t.type === 'ident' && words.indexOf(t.value ?? '') >= 0) return i;
    }
    return -1;
  }

  /** Position of the last top-level unquoted keyword `word` from here, or -1. */
  findLastKw(word: string): number {
    let found = -1;
    let depth = 0;
    for (let i = this.pos; i < this.end; i++) {
      const t = this.toks[i] as Token;
      if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = this.matchParen(i);
      else if (t.type === 'ident') {
        if (t.value === 'case') depth++;
        else if (t.value === 'end' && depth > 0) depth--;
        else if (t.value === word && depth === 0) found = i;
      }
    }
    return found;
  }

  /** At `CASE`: the position of its `END` (nested CASEs counted), or `end` when unbalanced. */
  matchCase(): number {
    let depth = 0;
    for (let i = this.pos; i < this.end; i++) {
      const t = this.toks[i] as Token;
      if (t.type === 'punct' && (t.text === '(' || t.text === '[')) i = this.matchParen(i);
      else if (t.type === 'ident') {
        if (t.value === 'case') depth++;
        else if (t.value === 'end' && --depth === 0) return i;
      }
    }
    return this.end;
  }

  /** A cursor over [from, to) of the same tokens. */
  slice(from: number, to: number): Cursor {
    return new Cursor(this.toks, this.match, from, Math.min(to, this.end));
  }

  /** Source text of the remaining tokens (for messages), shortened. */
  describe(max = 40): string {
    if (this.atEnd()) return 'end of statement';
    let out = '';
    for (let i = this.pos; i < this.end && out.length <= max; i++) {
      out += (out === '' ? '' : ' ') + (this.toks[i] as Token).text;
    }
    return out.length > max ? `${out.slice(0, max)}…` : out;
  }
}
