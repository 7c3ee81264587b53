"""course.formatting: numbers, rows, shapes and tables as students read them."""
from course.formatting import html_table, number_text, preview_rows, preview_values, shape_text


def test_shape_text():
    assert shape_text((1000, 20)) == "1000 rows x 20 columns"
    assert shape_text((1000, 1)) == "1000 rows x 1 column"
    assert shape_text((60, 28, 28)) == "60 samples x 28 x 28"
    assert shape_text((7,)) == "7 values"


def test_numbers_and_previews():
    assert number_text(0.5) == "0.50" and number_text(0) == "0.00"
    assert number_text(0.0004) == "4.0e-04" and number_text(float("nan")) == "nan"
    assert preview_values([0.5, 1.2, 0.3, 9, 0.3]) == "[0.50, 1.20, 0.30, ..., 0.30]"
    assert preview_values([1, 2]) == "[1.00, 2.00]"
    assert preview_rows([[1], [2]]) == "[[1.00], [2.00], ...]"
    assert preview_rows([[1]], more=False) == "[[1.00]]"


def test_html_table_escapes_every_cell():
    table = html_table(["<a>"], [["x & y"]])
    assert "<th>&lt;a&gt;</th>" in table and "<td>x &amp; y</td>" in table
