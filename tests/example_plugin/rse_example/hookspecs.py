"""Hooks the example plugin declares for other plugins to implement (``rse_addhooks``)."""

from rse_core import hookspec


@hookspec
def example_greeting_suffixes(text: str) -> list[str] | None:
    """Return short words to show after a greeting on the example page.

    :param text: the greeting.

    Called only on the plugins active for the reader; results are concatenated.
    """
