"""Prints a workbook as JSON, read with openpyxl: {sheet: {"rows": [[cell, ...], ...],
"types": [[type, ...], ...], "frozen": "A2", "filter": "A1:P4"}}. A cell is its value as text
(None as ""; a whole float as an integer), its type openpyxl's data type ("s" text, "n" number).
Used by the test suite (tests/suite/convert.rs) to read `convert --format xlsx` output."""

import json
import sys

import openpyxl


def text(v):
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def main(path):
    book = openpyxl.load_workbook(path)
    out = {}
    for sheet in book.worksheets:
        rows, types = [], []
        for row in sheet.iter_rows():
            rows.append([text(c.value) for c in row])
            types.append([c.data_type for c in row])
        out[sheet.title] = {
            "rows": rows,
            "types": types,
            "frozen": sheet.freeze_panes,
            "filter": sheet.auto_filter.ref,
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
