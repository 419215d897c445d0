"""The report's fonts: DejaVu Sans where installed, else reportlab's Vera, with the dose
symbols Vera lacks drawn from ZapfDingbats."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# DejaVu Sans covers the dose symbols and most scripts a name or note may use. Where it is not
# installed, reportlab's own Bitstream Vera (always present) is used and the symbols it lacks
# (✓, ✗) come from the PDF's built-in ZapfDingbats, so every status still has its symbol.
_DEJAVU_DIRS: Final = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu"),  # Fedora
    Path("/usr/share/fonts/TTF"),  # Arch
)
_DEJAVU_FILES: Final = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
)
_VERA_DIR: Final = Path(reportlab.__file__).parent / "fonts"
_VERA_FILES: Final = ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf", "VeraBI.ttf")
_DINGBATS: Final = "ZapfDingbats"


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    glyphs: frozenset[int]  # code points the regular font can draw


def font_files(dirs: Sequence[Path] = _DEJAVU_DIRS) -> tuple[str, list[Path]]:
    """DejaVu Sans from the first directory that has all four faces, else Vera."""
    for directory in dirs:
        paths = [directory / name for name in _DEJAVU_FILES]
        if all(path.is_file() for path in paths):
            return "ReportDejaVu", paths
    return "ReportVera", [_VERA_DIR / name for name in _VERA_FILES]


def register_fonts(family: str, paths: Sequence[Path]) -> Fonts:
    """Register the four faces under ``family`` so Paragraph's <b> and <i> find them."""
    names = (family, f"{family}-Bold", f"{family}-Italic", f"{family}-BoldItalic")
    for name, path in zip(names, paths, strict=True):
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        family, normal=names[0], bold=names[1], italic=names[2], boldItalic=names[3]
    )
    face = pdfmetrics.getFont(names[0]).face
    return Fonts(regular=names[0], bold=names[1], glyphs=frozenset(face.charToGlyph))


@lru_cache(maxsize=1)
def report_fonts() -> Fonts:
    """Once per process: reportlab keeps fonts in a global registry."""
    return register_fonts(*font_files())


def symbol_markup(symbol: str, glyphs: frozenset[int]) -> str:
    """Paragraph markup for a status symbol: ZapfDingbats for what the text font cannot draw."""
    dingbats = pdfmetrics.getFont(_DINGBATS)
    parts = []
    for char in symbol:
        if ord(char) not in glyphs:
            try:
                char.encode(dingbats.encName)
            except UnicodeEncodeError:
                pass  # neither font has it: the text font's "missing glyph" box is honest
            else:
                parts.append(f'<font face="{_DINGBATS}">{escape(char)}</font>')
                continue
        parts.append(escape(char))
    return "".join(parts)
