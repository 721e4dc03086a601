import numpy as np
import pytest

from tl_helpers._validation import check_choice, check_images, check_int, suggest


def test_suggest_finds_close_name():
    assert suggest("resnt", ["resnet", "mobilenet"]) == ' Did you mean "resnet"?'
    assert suggest("zzz", ["resnet"]) == ""


def test_check_choice_message_names_argument_and_value():
    with pytest.raises(ValueError, match=r"Argument `mode` must be one of 'a', 'b'.*mode='c'"):
        check_choice("mode", "c", ["a", "b"])
    assert check_choice("mode", "a", ["a", "b"]) == "a"


@pytest.mark.parametrize("value", [1.5, "3", True, None])
def test_check_int_rejects_non_integers(value):
    with pytest.raises(TypeError, match="Argument `n` must be an integer"):
        check_int("n", value)


def test_check_int_minimum():
    with pytest.raises(ValueError, match=r"`n` must be >= 1. Received: n=0"):
        check_int("n", 0, minimum=1)
    assert check_int("n", np.int64(3), minimum=1) == 3


def test_check_images_shapes_and_dtypes():
    assert check_images("x", np.zeros((2, 4, 4, 3), np.uint8)).shape == (2, 4, 4, 3)
    with pytest.raises(ValueError, match=r"x.shape=\(4, 4, 3\)"):
        check_images("x", np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        check_images("x", np.zeros((1, 4, 4, 2)))
    with pytest.raises(TypeError, match="must hold numbers"):
        check_images("x", np.array([["a"]], dtype=object).reshape(1, 1, 1, 1))
