"""The labelling TUI (`inspect label`): the only package that imports Textual.

Everything it writes goes through :mod:`inspector.labels.session` and :mod:`inspector.store`; everything
it shows comes from :mod:`inspector.labels.review` and :mod:`inspector.engine.latex_text`, which know no terminal.
"""

from .app import LabelApp, make_app

__all__ = ["LabelApp", "make_app"]
