"""What exograph checks in a SPARQL query before any engine sees it.

A ``SERVICE`` clause makes the engine send a request to any URL the query names,
from the machine that runs it: from ``exograph query`` that is the user's own
machine, from ``exograph serve`` the server's, on behalf of whoever can reach the
endpoint. Both refuse such queries unless asked to allow them.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["uses_service"]

#: Comments, string literals and IRIs, whose text is not SPARQL keywords (the longest string forms first).
_NOT_KEYWORDS: Final = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n]*",
    re.DOTALL,
)
_SERVICE: Final = re.compile(r"(?<![\w:?$])SERVICE(?![\w:-])", re.IGNORECASE)


def uses_service(query: str) -> bool:
    """Whether the query holds a ``SERVICE`` clause (federated query: the engine would fetch from a URL).

    >>> uses_service("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    True
    >>> uses_service('SELECT * { ?s ?p "SERVICE" } # SERVICE in a comment')
    False
    """
    return _SERVICE.search(_NOT_KEYWORDS.sub(" ", query)) is not None
