"""Start-up of the grader's processes (tl_course.startup)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_grading_processes_skip_the_slow_optional_iri_parser():
    """``skip_slow_imports`` keeps jsonschema (imported by nbformat) from building the IRI
    parser of ``rfc3987_syntax`` (2.4 s per process); notebooks still validate."""
    code = textwrap.dedent("""
        import sys
        from tl_course.startup import skip_slow_imports
        skip_slow_imports()
        import nbformat
        nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]))
        print(sys.modules.get("rfc3987_syntax", "absent"), "jsonschema" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["None", "True"]
