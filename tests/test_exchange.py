"""The nbgrader exchange round trip of a class, on the command line: ``tl-course release
--exchange``, two students fetch and submit (nbgrader's own student-side exchange code),
``tl-course collect``, ``tl-course grade --return-feedback``, and each student fetches their own
feedback. The JupyterHub test (tests/hub/) does the same through a real browser."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from grading_support import MINI_SOLUTION, built_once, make_mini_course, with_answers

from tl_course import cli


def _student_side(exchange: Path, home: Path, student: str):
    """The config, course folder and authenticator of one student's nbgrader exchange calls."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.Exchange.root = str(exchange)
    config.Exchange.cache = str(home / ".nbgrader-cache")
    config.Exchange.assignment_dir = str(home)
    config.CourseDirectory.course_id = "tl-course"
    config.CourseDirectory.student_id = student
    config.CourseDirectory.root = str(home)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = "00_mini"
    return {"coursedir": coursedir, "config": config,
            "authenticator": Authenticator(config=config)}


def _run_as_student(exchange: Path, home: Path, student: str, action: str) -> None:
    from nbgrader.exchange.default import (
        ExchangeFetchAssignment,
        ExchangeFetchFeedback,
        ExchangeSubmit,
    )

    kind = {"fetch": ExchangeFetchAssignment, "submit": ExchangeSubmit,
            "fetch_feedback": ExchangeFetchFeedback}[action]
    home.mkdir(parents=True, exist_ok=True)
    previous = Path.cwd()
    os.chdir(home)
    try:
        kind(**_student_side(exchange, home, student)).start()
    finally:
        os.chdir(previous)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    return built_once(tmp_path_factory, "test_exchange", lambda: _round_trip(tmp_path_factory))


def _round_trip(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("exchange")
    root = make_mini_course(base / "course")
    exchange = base / "exchange"
    homes = {name: base / "home" / name for name in ("ada", "bob")}
    released = cli.main(["release", "00_mini", "--course", str(root), "--exchange",
                         str(exchange)])
    for name, home in homes.items():
        _run_as_student(exchange, home, name, "fetch")
    nbformat.write(with_answers(root, MINI_SOLUTION), homes["ada"] / "00_mini" / "00_mini.ipynb")
    for name, home in homes.items():  # bob submits the stub as he fetched it
        _run_as_student(exchange, home, name, "submit")
    collected = cli.main(["collect", "00_mini", "--course", str(root), "--exchange",
                          str(exchange)])
    graded = cli.main(["grade", str(root / "submitted"), "--course", str(root), "--out",
                       str(base / "grades"), "--cell-timeout", "10", "--return-feedback",
                       "--exchange", str(exchange)])
    for name, home in homes.items():
        _run_as_student(exchange, home, name, "fetch_feedback")
    return {"root": root, "exchange": exchange, "homes": homes, "codes": (released, collected,
                                                                           graded)}


def _feedback(home: Path) -> str:
    pages = sorted(home.glob("00_mini/feedback/*/00_mini.html"))
    assert len(pages) == 1, pages
    return pages[0].read_text(encoding="utf-8")


def _total_score(html: str) -> str:
    match = re.search(r"Score: ([0-9.]+) / ([0-9.]+)", html)
    assert match, "no total score in the feedback"
    return f"{float(match.group(1)):g}/{float(match.group(2)):g}"


def test_release_collect_and_grade_through_the_exchange_succeed(round_trip):
    assert round_trip["codes"] == (0, 0, 0)
    root = round_trip["root"]
    for name in ("ada", "bob"):
        assert (root / "submitted" / name / "00_mini" / "00_mini.ipynb").is_file()


def test_each_student_fetches_their_own_feedback_with_their_own_score(round_trip):
    ada, bob = (_feedback(round_trip["homes"][n]) for n in ("ada", "bob"))
    assert _total_score(ada) == "7/7"
    assert _total_score(bob) == "0/7"
    assert ada != bob


def test_the_feedback_folder_cannot_be_listed_by_other_users(round_trip):
    folder = round_trip["exchange"] / "tl-course" / "feedback"
    assert not folder.stat().st_mode & 0o004  # names (hashes of each secret) stay private
    assert round_trip["exchange"].stat().st_mode & 0o1000  # sticky: no one renames the course


def test_feedback_of_a_submission_that_did_not_come_through_the_exchange_is_not_released(
        round_trip, tmp_path):
    from tl_course.exchange import return_feedback

    root = round_trip["root"]
    folder = root / "feedback" / "carol" / "00_mini"
    folder.mkdir(parents=True)
    (folder / "00_mini.html").write_text("<html>carol's feedback</html>")
    (tmp_path / "carol" / "00_mini").mkdir(parents=True)  # a plain folder: no secret, no time
    outcome = return_feedback(root, tmp_path, [("carol", "00_mini"), ("dan", "00_mini")],
                              round_trip["exchange"])
    assert outcome[("carol", "00_mini")].startswith(
        "not submitted through the exchange (no timestamp.txt, submission_secret.txt")
    assert outcome[("dan", "00_mini")] == "no feedback HTML was written"
    released = round_trip["exchange"] / "tl-course" / "feedback"
    assert not any("carol" in p.read_text() for p in released.glob("*.html"))
