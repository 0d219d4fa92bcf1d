"""The checker reads ``pattern`` as ECMA-262 does: compared with ``regress`` (the ECMA engine
check-jsonschema uses) on generated patterns and texts.

Patterns are built from the constructs where Python's ``re``, Rust's ``regex`` and ECMA
disagree (``.``, ``$``, ``\\d \\w \\s`` and their negations, inside and outside classes,
line terminators, non-ASCII letters and digits), so a translation that gets one of them
wrong is found.
"""

from __future__ import annotations

from typing import Any

import regress
from hypothesis import given, settings
from hypothesis import strategies as st

from woowup_contract.ecma import matcher

ATOMS = (".", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S", "[\\d]", "[\\D]", "[^\\d]", "[\\w-]", "[\\W]", "[\\s]",
         "[.]", "\\.", "a", "é", "0", "٣", "-", " ", "[a-c]", "[^a]", "\\b", "\\B", "(?:a|.)", "\\u2028", "\\n")
QUANTIFIERS = ("", "", "*", "+", "?", "{2}", "{1,3}")
CHARS = "a b é 0 ٣ - . \n \r \u2028 \u2029 \ufeff \u00a0 \t _ Z".split(" ") + [" "]


@st.composite
def patterns(draw: Any) -> str:
    body = "".join(draw(st.sampled_from(ATOMS)) + draw(st.sampled_from(QUANTIFIERS))
                   for _ in range(draw(st.integers(1, 4))))
    return (draw(st.sampled_from(("", "^"))) + body + draw(st.sampled_from(("", "$"))))


texts = st.lists(st.sampled_from(CHARS), max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(patterns(), st.lists(texts, min_size=1, max_size=5))
def test_the_checker_reads_patterns_as_ecma_262(pattern: str, samples: list[str]) -> None:
    search = matcher(pattern)
    ecma = regress.Regex(pattern)
    for text in samples:
        assert search(text) is (ecma.find(text) is not None), (pattern, text)


def test_the_official_pattern_refuses_every_line_terminator() -> None:
    search = matcher("^(.*)$")
    assert [search(t) for t in ("a.csv\n", "Palermo\r", "x\u2028", "x\u2029y", "Palermo")] == [
        False, False, False, False, True]
