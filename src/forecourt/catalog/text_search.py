"""Bilingual name search over the catalog: which trims a free-text query names. Pure; stdlib only.

The catalog is small (tens of models, hundreds of trims), so the query is matched in memory against
one document per trim (brand, model and trim names in English and Chinese, and their codes). Every
token of the query must occur in the document; Chinese is matched as a substring of the document with
spaces removed, because Chinese queries are rarely spaced ("蒙迪欧混动").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

_TOKEN_SPLIT = re.compile(r"[\s,，、/]+")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def tokens(query: str) -> list[str]:
    return [token for token in _TOKEN_SPLIT.split(normalize(query)) if token]


def build_document(english: Sequence[str], chinese: Sequence[str]) -> tuple[str, str]:
    """(spaced text of every name, each language's names run together without spaces).

    Running each language together separately lets an unspaced query span a model and a trim name
    ("蒙迪欧混动" = model 蒙迪欧 + trim 混动…) without matching across languages.
    """
    spaced = normalize(" ".join([*english, *chinese]))
    compact = "\x00".join(re.sub(r"[\s\-_]+", "", normalize("".join(parts))) for parts in (english, chinese))
    return spaced, compact


def matching_ids(query: str, documents: Mapping[int, tuple[str, str]]) -> frozenset[int]:
    query_tokens = tokens(query)
    if not query_tokens:
        return frozenset(documents)
    return frozenset(
        doc_id
        for doc_id, (spaced, compact) in documents.items()
        if all(token in spaced or token in compact for token in query_tokens)
    )
