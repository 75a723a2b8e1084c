"""Text search over titles and descriptions, in Chinese as well as in letters and digits.

Chinese has no spaces between words, and PostgreSQL's parsers (and pg_trgm under a C
locale) do not split it. So each run of Chinese characters is indexed as its single
characters and its overlapping pairs (bigrams), and each run of letters or digits as one
lower-case word, in a ``tsvector`` of the built-in ``simple`` configuration: no extension,
no dictionary, the same on every PostgreSQL. A query matches when every pair of adjacent
characters in it (a lone character: that character) and every word (as a prefix) occurs.
The pairs need not stand next to each other in the case: 电梯异响 also finds 电梯 ... 异响.
"""

import re

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_HAN = re.compile(rf"[{_CJK}]")


def _runs(text: str) -> list[str]:
    return _RUNS.findall(text.lower())


def _pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_terms(*texts: str) -> str:
    """The terms a case is found by, space-separated, for ``to_tsvector('simple', ...)``."""
    terms: set[str] = set()
    for text in texts:
        for run in _runs(text):
            if _HAN.match(run):
                terms.update(run)
                terms.update(_pairs(run))
            else:
                terms.add(run)
    return " ".join(sorted(terms))


def _covering_pairs(run: str) -> list[str]:
    """Pairs that cover every character once (the last one overlapping when the run is
    odd): as selective as all pairs, with fewer terms for the planner to multiply."""
    pairs = [run[i : i + 2] for i in range(0, len(run) - 1, 2)]
    if len(run) % 2:
        pairs.append(run[-2:])
    return pairs


def query_terms(query: str) -> str | None:
    """A ``to_tsquery('simple', ...)`` text that finds cases holding all of ``query``;
    None when it holds no letter, digit or Chinese character."""
    terms: list[str] = []
    for run in _runs(query):
        if _HAN.match(run):
            terms.extend(_covering_pairs(run) if len(run) > 1 else [run])
        else:
            terms.append(f"{run}:*")
    # Quoted for to_tsquery: the runs hold only letters, digits and Chinese characters.
    return " & ".join(f"'{t[:-2]}':*" if t.endswith(":*") else f"'{t}'" for t in terms) or None
