"""Showing the HTML view inside Jupyter: the same offline page, in a sandboxed iframe."""

from __future__ import annotations

import html
import warnings
from pathlib import Path
from typing import Any

from .graph import KnowledgeGraph

__all__ = ["show"]


def show(graph: KnowledgeGraph | str | Path, *, height: int = 640, max_nodes: int = 5000) -> Any:
    """The interactive view as an IPython display object (a graph, a build folder or a graph.html).

    The page goes into ``srcdoc`` of a sandboxed iframe, so it works offline
    and its scripts cannot touch the notebook.

    >>> import exograph
    >>> view = exograph.show(exograph.build(["seeds/"]).graph)
    >>> "srcdoc" in view.data
    True
    """
    from IPython.display import HTML  # type: ignore[attr-defined]

    if isinstance(graph, KnowledgeGraph):
        from .writers.html import render_html

        page = render_html(graph, max_nodes=max_nodes)
    else:
        path = Path(graph)
        page = (path / "graph.html" if path.is_dir() else path).read_text(encoding="utf-8")
    frame = (
        f'<iframe sandbox="allow-scripts" style="width:100%;height:{int(height)}px;border:1px solid #d9dee3" '
        f'srcdoc="{html.escape(page, quote=True)}"></iframe>'
    )
    with warnings.catch_warnings():
        # IPython suggests IFrame for <iframe>, but IFrame needs a URL and the page must stay inline.
        warnings.simplefilter("ignore", UserWarning)
        return HTML(frame)  # type: ignore[no-untyped-call]
