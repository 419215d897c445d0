"""CSV (streamed) and XLSX (openpyxl write-only) from the same rows, with typed values and
cells a spreadsheet will never run as formulas."""

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from backend.adherence.metrics import Ratio

from .columns import Column

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_value(value: Any) -> str:
    """Numbers as numbers, dates ISO 8601, percents with two decimals, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, Ratio):
        return "" if value.percent is None else f"{value.percent:.2f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    return neutralised(str(value))


class _Line:
    """csv.writer target that hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


_FIELD = csv.writer(_Line(), lineterminator="\r\n")


def csv_field(value: Any) -> str:
    """csv_value(value) as a field of a CSV line, quoted as csv.writer quotes it (text holding
    a comma, a quote or a line break), so that ",".join(fields) is the line csv.writer writes.
    For values an export repeats (days, zones, ids): formatted once, joined many times."""
    text = csv_value(value)
    if not text:
        return ""  # csv.writer quotes an empty field only when it is alone on its line
    return _FIELD.writerow([text])[:-2]


# Rows written into one block of the stream: a block per row would cost a write (and, behind
# gunicorn, a send) per row; 1,000 rows are ~200 kB of text, however large the export.
BLOCK_ROWS = 1000


def csv_lines(
    columns: list[Column], rows: Iterable[Sequence[Any]], *, fields: bool = False
) -> Iterator[bytes]:
    """The header, then the rows in encoded blocks of BLOCK_ROWS lines, produced as read
    (memory holds one block, never the export). UTF-8 with a BOM so spreadsheet programs read
    accents right.

    `fields`: every value is already csv_field(value) (the dose export formats each distinct
    value once), so a line is the values joined with commas: csv.writer would take several
    times as long to quote them again."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow([column.name for column in columns])).encode()
    rows = iter(rows)
    while block := list(islice(rows, BLOCK_ROWS)):
        if fields:
            text = "\r\n".join(map(",".join, block)) + "\r\n"
        else:
            text = "".join([writer.writerow([csv_value(value) for value in row]) for row in block])
        yield text.encode()


PERCENT_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, Ratio):
        if value.denominator == 0:
            return WriteOnlyCell(sheet, value=None)
        cell = WriteOnlyCell(sheet, value=value.numerator / value.denominator)
        cell.number_format = PERCENT_FORMAT
        return cell
    if isinstance(value, datetime):
        # Excel has no time zones: instants are written in UTC, as the column says.
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None) if value.tzinfo else value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        return WriteOnlyCell(sheet, value=neutralised(value))
    return WriteOnlyCell(sheet, value=value)


def xlsx_file(columns: list[Column], rows: Iterable[Sequence[Any]], *, title: str) -> IO[bytes]:
    """A temporary file (deleted when closed) holding the workbook. Write-only mode keeps
    memory flat whatever the number of rows; datetimes must already be in UTC."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([column.name for column in columns])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it, deleting it)
    workbook.save(output)
    output.seek(0)
    return output
