"""Words as ctask-sync shows them: plurals, one-line excerpts of long text. (Sizes: manifest.files'
human_size for files, binary_size for memory.)"""

from __future__ import annotations

_IRREGULAR = {"is": "are", "was": "were"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 version`, `2 versions`, `0 errors`; many for words that do not take an s."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {many or _IRREGULAR.get(word) or word + 's'}"


def excerpt(text: str, limit: int = 60) -> str:
    """A long or multi-line text on one short line, quoted: whitespace runs become one space and
    what passes limit characters is cut at a word's end and ends in an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        cut = flat[: limit - 1]
        flat = (cut[: cut.rfind(" ")] if " " in cut else cut).rstrip(" ,;:.") + "…"
    return f'"{flat}"'
