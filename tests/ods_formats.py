"""Reads an OpenDocument spreadsheet with odfpy (independent of the writer) and prints, as JSON,
every number cell with the number style it uses and the text that style shows:
[{"sheet", "row", "column", "value", "style", "language", "shown"}]. The style is followed as a
spreadsheet follows it: the cell's table:style-name names a cell style, whose
style:data-style-name names a number:number-style; its number:number gives decimal-places,
min-decimal-places, min-integer-digits and grouping, its number:text elements the text before and
after the number, its number:language and number:country the separators (Italian `1.234,5`,
English `1,234.5`; a style without a language takes the document's default cell language). A
number cell without a number style, or with a style outside that grammar, is shown as null, so
the test names it.

Usage: python3 tests/ods_formats.py SPREADSHEET.ods
"""
import json
import sys

from odf import opendocument
from odf.namespaces import FONS, NUMBERNS, OFFICENS, STYLENS, TABLENS
from odf.table import Table, TableCell, TableRow

SEPARATORS = {"it": (".", ","), "en": (",", ".")}


def attr(element, ns, name):
    return element.attributes.get((ns, name))


def default_language(doc):
    for style in doc.styles.childNodes:
        if style.qname == (STYLENS, "default-style") and attr(style, STYLENS, "family") == "table-cell":
            for props in style.childNodes:
                if props.qname == (STYLENS, "text-properties"):
                    return attr(props, FONS, "language")
    return None


def number_styles(doc):
    """Cell style name -> its number:number-style element."""
    data, cells = {}, {}
    for parent in (doc.automaticstyles, doc.styles):
        for style in parent.childNodes:
            if style.qname == (NUMBERNS, "number-style"):
                data[attr(style, STYLENS, "name")] = style
            elif style.qname == (STYLENS, "style"):
                cells[attr(style, STYLENS, "name")] = attr(style, STYLENS, "data-style-name")
    return {cell: data.get(name) for cell, name in cells.items() if name}


def shown(value, style, fallback_language):
    if style is None:
        return None, None
    language = attr(style, NUMBERNS, "language") or fallback_language
    if language not in SEPARATORS:
        return None, language
    group, point = SEPARATORS[language]
    before, after, number = "", "", None
    for child in style.childNodes:
        if child.qname == (NUMBERNS, "number"):
            number = child
        elif child.qname == (NUMBERNS, "text"):
            text = "".join(str(t) for t in child.childNodes)
            if number is None:
                before += text
            else:
                after += text
        else:
            return None, language
    if number is None:
        return None, language
    places = int(attr(number, NUMBERNS, "decimal-places") or 0)
    min_places = int(attr(number, NUMBERNS, "min-decimal-places") or places)
    min_int = int(attr(number, NUMBERNS, "min-integer-digits") or 1)
    grouping = attr(number, NUMBERNS, "grouping") == "true"
    text = f"{abs(value):,.{places}f}" if grouping else f"{abs(value):.{places}f}"
    whole, _, frac = text.partition(".")
    whole = whole.rjust(min_int, "0")
    frac = frac[:min_places] + frac[min_places:].rstrip("0")
    text = whole.replace(",", group) + (point + frac if frac else "")
    if value < 0 and any(c in "123456789" for c in text):
        text = "-" + text
    return before + text + after, language


def main():
    doc = opendocument.load(sys.argv[1])
    styles = number_styles(doc)
    fallback = default_language(doc)
    out = []
    for table in doc.spreadsheet.getElementsByType(Table):
        for r, row in enumerate(table.getElementsByType(TableRow), start=1):
            column = 0
            for cell in row.getElementsByType(TableCell):
                column += 1
                repeated = int(attr(cell, TABLENS, "number-columns-repeated") or 1)
                if attr(cell, OFFICENS, "value-type") == "float":
                    value = float(attr(cell, OFFICENS, "value"))
                    name = attr(cell, TABLENS, "style-name")
                    text, language = shown(value, styles.get(name), fallback)
                    out.append(
                        {
                            "sheet": attr(table, TABLENS, "name"),
                            "row": r,
                            "column": column,
                            "value": value,
                            "style": name,
                            "language": language,
                            "shown": text,
                        }
                    )
                column += repeated - 1
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
