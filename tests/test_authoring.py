"""tl_course.authoring: percent-format scripts -> nbgrader source notebooks."""

from __future__ import annotations

import textwrap

import pytest
from grading_support import ROOT

from tl_course import authoring

HIDDEN_F = ('### BEGIN HIDDEN TESTS\n'
            'from tl_helpers.grading import grade_cell\n'
            'grade_cell("a01_f", points=2.5, namespace=globals())\n'
            '### END HIDDEN TESTS')


def test_parse_cells_sets_nbgrader_metadata():
    nb = authoring.parse_cells(textwrap.dedent("""\
        # %% [markdown]
        # # Title
        #
        # text
        # %% [setup]
        x = 1
        # %% [answer] a01_f
        def f():
            ### BEGIN SOLUTION
            return 1
            ### END SOLUTION
        # %% [tests] a01_f points=2.5
        assert f() == 1
        # %%
        y = 2
        """))
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code", "code", "code"]
    assert nb.cells[0].source == "# Title\n\ntext"
    setup, answer, tests, plain = (c.metadata.get("nbgrader") for c in nb.cells[1:])
    assert setup == {"grade": False, "grade_id": "setup", "locked": True, "schema_version": 3,
                     "solution": False}
    assert answer["grade_id"] == "a01_f_answer" and answer["solution"] and not answer["locked"]
    assert tests["grade_id"] == "a01_f" and tests["points"] == 2.5 and tests["locked"]
    assert plain is None


def test_tests_cells_end_with_the_generated_hidden_block():
    nb = authoring.parse_cells(textwrap.dedent("""\
        # %% [answer] a01_f
        def f():
            ### BEGIN SOLUTION
            return 1
            ### END SOLUTION
        # %% [tests] a01_f points=2.5
        assert f() == 1
        print("f: visible checks pass")

        # %% [tests] a01_g points=3.0
        # %%
        y = 2
        """))
    answer, tests, empty, plain = (c.source for c in nb.cells)
    assert tests == 'assert f() == 1\nprint("f: visible checks pass")\n' + HIDDEN_F
    assert empty == authoring.hidden_block("a01_g", 3)  # a cell of hidden checks only
    assert 'grade_cell("a01_g", points=3, ' in empty  # 3.0 is written as 3
    assert "BEGIN HIDDEN TESTS" not in answer + plain


@pytest.mark.parametrize("points,text", [(3, "3"), (3.0, "3"), (2.5, "2.5"), (0.25, "0.25")])
def test_hidden_block(points, text):
    assert authoring.hidden_block("a03_freeze_until", points).splitlines() == [
        authoring.BEGIN_HIDDEN,
        "from tl_helpers.grading import grade_cell",
        f'grade_cell("a03_freeze_until", points={text}, namespace=globals())',
        authoring.END_HIDDEN,
    ]


@pytest.mark.parametrize("kwargs,argument", [
    ({"grade_id": "A03_quiz", "points": 1}, "grade_id"),
    ({"grade_id": "a03-quiz", "points": 1}, "grade_id"),
    ({"grade_id": 'a03", points=99, x="', "points": 1}, "grade_id"),
    ({"grade_id": "", "points": 1}, "grade_id"),
    ({"grade_id": 3, "points": 1}, "grade_id"),
    ({"grade_id": "a03_quiz", "points": 0}, "points"),
    ({"grade_id": "a03_quiz", "points": -1}, "points"),
    ({"grade_id": "a03_quiz", "points": float("nan")}, "points"),
    ({"grade_id": "a03_quiz", "points": True}, "points"),
    ({"grade_id": "a03_quiz", "points": "3"}, "points"),
])
def test_hidden_block_rejects_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=rf"^Argument `{argument}` must .* Received: {argument}="):
        authoring.hidden_block(**kwargs)


@pytest.mark.parametrize("typed", [
    "### BEGIN HIDDEN TESTS",
    "### END HIDDEN TESTS",
    'grade_cell("a01_f", points=2, namespace=globals())',
    "    ### BEGIN HIDDEN TESTS",
])
def test_a_hand_typed_hidden_block_is_refused(typed):
    text = f"# %% [markdown]\n# Title\n\n# %% [tests] a01_f points=2\nassert True\n{typed}\n"
    with pytest.raises(authoring.CellSyntaxError) as error:
        authoring.parse_cells(text, origin="course/notebooks/01_x.py")
    message = str(error.value)
    assert message.startswith("course/notebooks/01_x.py:4: the cell '# %% [tests] a01_f "
                              "points=2' types a hidden block by hand."), message
    assert "delete the lines from '### BEGIN HIDDEN TESTS' to '### END HIDDEN TESTS'" in message
    assert message.endswith(f"Received: {typed.strip()!r}")


@pytest.mark.parametrize("header", ["# %% [answer] a01_f", "# %% [setup]", "# %%"])
def test_hidden_markers_are_refused_in_other_cells_too(header):
    with pytest.raises(authoring.CellSyntaxError, match=r"types a hidden block by hand"):
        authoring.parse_cells(f"{header}\nx = 1\n### BEGIN HIDDEN TESTS\ny = 2\n")


def test_grade_cell_outside_a_tests_cell_is_ordinary_code():
    nb = authoring.parse_cells("# %%\nfrom tl_helpers.grading import grade_cell\n"
                               "help(grade_cell)\n")
    assert nb.cells[0].source.endswith("help(grade_cell)")


@pytest.mark.parametrize("text,match", [
    ("# %% [quiz]\nx", "unknown cell tag"),
    ("# %% [tests] a01\nx", "points=N"),
    ("# %% [answer]\nx", "GRADE_ID"),
    ("# %% [answer] a\nx\n# %% [answer] a\ny", "used twice"),
    ("# %% [tests] a points=1\nx\n# %% [tests] a points=2\ny", r"used twice \(first at line 1\)"),
    ("x = 1\n# %%\ny", "before the first"),
    ("# %% [tests] A01_f points=1\nx", r"lower-case letters.*Received: 'A01_f'"),
    ("# %% [answer] a01-f\nx", r"lower-case letters.*Received: 'a01-f'"),
    ("# %% [setup] Setup\nx", r"lower-case letters.*Received: 'Setup'"),
    ("# %% [tests] a01_f points=0\nx", r"positive number\. Received: points=0"),
])
def test_parse_cells_rejects_bad_headers(text, match):
    with pytest.raises(authoring.CellSyntaxError, match=match):
        authoring.parse_cells(text)


def test_build_notebook_only_writes_changes(tmp_path):
    script = tmp_path / "n.py"
    script.write_text("# %%\nx = 1\n")
    out = tmp_path / "out" / "n.ipynb"
    assert authoring.build_notebook(script, out) is True
    assert authoring.build_notebook(script, out) is False
    with pytest.raises(FileNotFoundError, match="script"):
        authoring.build_notebook(tmp_path / "missing.py", out)


def test_build_notebook_names_the_script_it_refuses(tmp_path):
    script = tmp_path / "07_new.py"
    script.write_text("# %% [tests] a07_f points=1\nassert True\n"
                      + authoring.hidden_block("a07_f", 1) + "\n")
    with pytest.raises(authoring.CellSyntaxError, match=rf"^{script}:1: the cell"):
        authoring.build_notebook(script, tmp_path / "out.ipynb")
    assert not (tmp_path / "out.ipynb").exists()


@pytest.mark.parametrize("script", sorted(
    [*(ROOT / "course" / "notebooks").glob("*.py"),
     *(ROOT / "tests" / "fixtures" / "mini_course" / "course" / "notebooks").glob("*.py")]),
    ids=lambda p: p.stem)
def test_every_graded_cell_of_the_course_gets_one_hidden_block(script):
    nb = authoring.parse_cells(script.read_text(encoding="utf-8"), origin=str(script))
    graded = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert graded
    for cell in graded:
        meta = cell.metadata["nbgrader"]
        assert cell.source.endswith(authoring.hidden_block(meta["grade_id"], meta["points"]))
        assert cell.source.count("grade_cell(") == 1
