"""Split SPARQL text into tokens exactly as the SPARQL 1.1 grammar's terminals do.

Every reader of query text in lbp-kg (the query guard, parameter binding, the update checks)
uses this one tokenizer, so a string, an IRI, an escaped local name (``ex:a\\#``) or a comment is
told apart the same way everywhere, and the same way as the engine's parser. The terminals are
those of the SPARQL 1.1 Query Language, section 19.8 (IRIREF, PNAME_NS, PNAME_LN with PLX
escapes, BLANK_NODE_LABEL, VAR1/VAR2, LANGTAG, the four string forms with ECHAR, numbers, NIL,
ANON); anything else is one punctuation character, or a run of them for the two-character
operators. Keywords are ``name`` tokens (``SELECT``, ``a``, ``true``); the grammar makes them
case-insensitive, so compare ``token.upper``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# --- the grammar's character classes ------------------------------------------------------------
_PN_CHARS_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF"
                  "\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
                  "\U00010000-\U000EFFFF")
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = (f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})"
             f"(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?")
_VARNAME = f"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*"
_ECHAR = r"\\[tbnrf\\\"']"

_TERMINALS = re.compile(rf'''
    (?P<space>[\x20\t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>"""(?:(?:"|"")?(?:[^"\\]|{_ECHAR}))*"""
             |\'\'\'(?:(?:'|'')?(?:[^'\\]|{_ECHAR}))*\'\'\'
             |"(?:[^"\\\n\r]|{_ECHAR})*"
             |'(?:[^'\\\n\r]|{_ECHAR})*')
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
  | (?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)
  | (?P<var>[?$]{_VARNAME})
  | (?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)
  | (?P<number>(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+)
             |[0-9]*\.[0-9]+|[0-9]+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator>\^\^|\|\||&&|!=|<=|>=)
  | (?P<other>.)
''', re.VERBOSE | re.DOTALL)

#: token kinds that stand for an RDF term or a value (after which ``<`` may be "less than")
VALUE_KINDS = frozenset({"string", "iri", "pname", "bnode", "var", "number", "name"})
OPENING, CLOSING = "{([", "})]"


@dataclass(frozen=True, slots=True)
class Token:
    """One terminal of the query: its kind, text and where it starts (offset, 1-based line/column)."""

    kind: str
    text: str
    start: int
    line: int
    column: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def upper(self) -> str:
        return self.text.upper()

    def is_word(self, *words: str) -> bool:
        """Whether this is one of the keywords ``words`` (given in upper case)."""
        return self.kind == "name" and self.text.upper() in words

    def is_punctuation(self, text: str) -> bool:
        return self.kind == "other" and self.text == text


def tokenize(sparql: str, *, keep_comments: bool = False) -> list[Token]:
    """Return the query's tokens in order, without white space (and without comments unless asked)."""
    tokens: list[Token] = []
    line, line_start = 1, 0
    for match in _TERMINALS.finditer(sparql):
        kind, text, start = match.lastgroup, match.group(), match.start()
        if kind != "space" and (kind != "comment" or keep_comments):
            tokens.append(Token(kind, text, start, line, start - line_start + 1))
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = start + text.rindex("\n") + 1
    return tokens


def nesting_depth(tokens: list[Token]) -> tuple[int, Token | None]:
    """Return the deepest nesting of braces, parentheses and brackets, and the token reaching it."""
    depth = deepest = 0
    where = None
    for token in tokens:
        if token.kind != "other":
            continue
        if token.text in OPENING:
            depth += 1
            if depth > deepest:
                deepest, where = depth, token
        elif token.text in CLOSING:
            depth = max(0, depth - 1)
    return deepest, where


def pname_parts(token: Token) -> tuple[str, str]:
    """Split a prefixed name into its prefix and its local part, with PLX escapes undone."""
    prefix, local = token.text.split(":", 1)
    return prefix, re.sub(r"\\(.)", r"\1", local)
