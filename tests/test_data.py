"""The course dataset: shape, determinism, raw scales, balance, held-out split."""
import numpy as np
import pytest

from course import data


def test_training_data_is_the_seed_pages_1000_by_20():
    x, y = data.load_data()
    assert x.shape == (1000, 20)
    assert y.shape == (1000,)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert set(np.unique(y)) == {0.0, 1.0}


def test_data_is_identical_on_every_call():
    first, second = data.load_data(), data.load_data()
    np.testing.assert_array_equal(first.x, second.x)
    np.testing.assert_array_equal(first.y, second.y)


def test_features_come_on_unequal_scales_so_normalization_matters():
    x, _ = data.load_data()
    spread = x.std(axis=0)
    assert spread.max() / spread.min() > 1000
    assert np.abs(x.mean(axis=0)).max() > 10


def test_classes_are_roughly_balanced():
    _, y = data.load_data()
    assert 0.4 < y.mean() < 0.6


def test_test_split_is_held_out_from_the_same_process():
    train, test = data.load_data("train"), data.load_data("test")
    assert test.x.shape == (200, 20)
    # Same feature scales (same process), different rows.
    ratio = test.x.std(axis=0) / train.x.std(axis=0)
    assert np.all((ratio > 0.7) & (ratio < 1.4))
    assert not np.isin(test.x[:, 0], train.x[:, 0]).any()


def test_unknown_split_names_the_choices():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.load_data("validation")


def test_the_scale_range_the_messages_quote_is_the_datas():
    """A check's message says the raw features span scale_range(): the data's spreads must agree
    (each end within a factor of 10 of what the text says, and no spread outside it by more)."""
    import math

    from course.data import SCALE_EXPONENTS, scale_range

    x, _ = data.load_data()
    exponents = np.log10(x.std(axis=0))
    low, high = SCALE_EXPONENTS
    assert abs(exponents.min() - low) < 1 and abs(exponents.max() - high) < 1, (exponents.min(), exponents.max())
    assert scale_range() == f"about {10 ** low:g} to about {10 ** high:g}"
    assert not math.isclose(low, high)
