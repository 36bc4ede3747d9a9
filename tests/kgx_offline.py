"""Run the real ``kgx`` command line with the Biolink Model the ``biolink-model`` package ships, offline.

kgx builds a ``bmt.Toolkit`` at import time, which downloads biolink-model.yaml and the predicate mapping
from GitHub. Here the Toolkit is pointed at the package's own copy of the same model (and an empty predicate
mapping, which only ``kgx`` predicate-to-qualifier conversion uses); every check ``kgx validate`` makes is
unchanged. Run it with the Python of an environment that has kgx: ``python tests/kgx_offline.py validate ...``.
"""

from __future__ import annotations

import json
import sys
from importlib.resources import files
from typing import Any

import bmt

SCHEMA = str(files("biolink_model") / "schema" / "biolink_model.yaml")
_original_init = bmt.Toolkit.__init__


def _offline_init(self: Any, schema: Any = SCHEMA, predicate_map: Any = None, **kwargs: Any) -> None:
    _original_init(self, schema, {"predicate mappings": []} if predicate_map is None else predicate_map, **kwargs)


bmt.Toolkit.__init__ = _offline_init  # type: ignore[method-assign]

# kgx's config names a JSON-LD context of Biolink 2.2.5 on GitHub for its prefix map: the same model's own
# prefix map (the one of the schema above) is given to it instead.
import kgx.config  # noqa: E402

kgx.config.jsonld_context_map["biolink"] = json.loads(
    (files("biolink_model") / "prefixmaps" / "biolink-model-prefix-map.json").read_text(encoding="utf-8")
)

if __name__ == "__main__":
    from kgx.cli import cli

    sys.exit(cli())
