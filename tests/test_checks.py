"""tl_helpers.checks: the student-facing checks the visible and hidden checks share."""

from __future__ import annotations

import numpy as np
import pytest

import tl_helpers as tl
from tl_helpers import checks


def test_check_quiz_is_exported_by_the_package():
    assert tl.check_quiz is checks.check_quiz
    assert "check_quiz" in tl.__all__ and "check_quiz" in checks.__all__


@pytest.mark.parametrize("answers", [
    {"q1": "b", "q2": "a", "q3": "c"},
    {"q3": "c", "q1": "a", "q2": "a"},  # any order
])
def test_check_quiz_accepts_every_question_answered(answers):
    assert checks.check_quiz(answers, questions=3) is None


@pytest.mark.parametrize("answers,received", [
    ({}, "Received: an empty dict"),
    ({"q1": "b", "q2": "a"}, "(missing: ['q3'])"),
    ({"q1": "b", "q2": "a", "q3": "c", "q4": "a"}, "not a question: ['q4']"),
    ({"Q1": "b", "q2": "a", "q3": "c"}, "missing: ['q1']; not a question: ['Q1']"),
    ({1: "b", "q2": "a", "q3": "c"}, "not a question: [1]"),
], ids=["empty", "missing", "extra", "upper_case_key", "int_key"])
def test_check_quiz_names_missing_and_unknown_questions(answers, received):
    with pytest.raises(AssertionError) as error:
        checks.check_quiz(answers, questions=3)
    message = str(error.value)
    assert message.startswith("Argument `answers` must answer every question: its keys should "
                              "be ['q1', 'q2', 'q3']"), message
    assert received in message and "Received: " in message


@pytest.mark.parametrize("bad", [[("q1", "a")], "q1=a", None, ("q1", "q2")],
                         ids=["list", "str", "none", "tuple"])
def test_check_quiz_wants_a_dict(bad):
    with pytest.raises(AssertionError, match=r"Argument `answers` must be a dict such as "
                       r"\{\"q1\": \.\.\., \"q2\": \.\.\., \.\.\.\}\. Received: "):
        checks.check_quiz(bad, questions=3)


@pytest.mark.parametrize("value", ["B", "d", "", None, 1, ["a"]],
                         ids=["upper", "unknown", "empty", "none", "int", "list"])
def test_check_quiz_wants_an_offered_choice(value):
    with pytest.raises(AssertionError) as error:
        checks.check_quiz({"q1": "a", "q2": value}, questions=2)
    assert str(error.value) == ('Argument `answers` must give each answer as "a", "b" or "c" '
                                f"(lower case). Received: answers['q2']={value!r}")


def test_check_quiz_other_choices():
    checks.check_quiz({"q1": "d"}, questions=1, choices="abcd")
    checks.check_quiz({"q1": "yes"}, questions=1, choices=["yes", "no"])
    with pytest.raises(AssertionError, match='"yes" or "no"'):
        checks.check_quiz({"q1": "a"}, questions=1, choices=["yes", "no"])


def test_check_quiz_long_answers_are_shortened_in_the_message():
    with pytest.raises(AssertionError) as error:
        checks.check_quiz({"q1": "x" * 500}, questions=1)
    assert len(str(error.value)) < 250 and str(error.value).endswith("...")


@pytest.mark.parametrize("kwargs,argument", [
    ({"questions": 0}, "questions"), ({"questions": -1}, "questions"),
    ({"questions": True}, "questions"), ({"questions": 2.0}, "questions"),
    ({"questions": "5"}, "questions"), ({"questions": 2, "choices": []}, "choices"),
    ({"questions": 2, "choices": ["a", 1]}, "choices"), ({"questions": 2, "choices": 3}, "choices"),
])
def test_check_quiz_rejects_a_wrong_call(kwargs, argument):
    with pytest.raises(ValueError, match=rf"^Argument `{argument}` must .* Received: {argument}="):
        checks.check_quiz({"q1": "a", "q2": "b"}, **kwargs)


def test_check_quiz_accepts_numpy_ints():
    checks.check_quiz({"q1": "a", "q2": "b"}, questions=np.int64(2))


def test_check_quiz_does_not_change_the_answers():
    answers = {"q2": "b", "q1": "a"}
    checks.check_quiz(answers, questions=2)
    assert answers == {"q2": "b", "q1": "a"} and list(answers) == ["q2", "q1"]
