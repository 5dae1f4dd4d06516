"""The surprise of a window's distinct authors: an exact negative-binomial tail (pure)."""

from __future__ import annotations

import math

import polars as pl
import pytest

from trendlake.surprise import surprise, surprises


def _head_sum_surprise(x: int, expected: float, n: int, w: int) -> float:
    """-log10 (1 - P(X < x)), summing the head of the same law: an independent route."""
    r, p = expected * n / w + 0.5, n / (n + w)
    head = sum(
        math.exp(
            math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1)
            + r * math.log(p) + k * math.log(1 - p)
        )
        for k in range(x)
    )  # fmt: skip
    return -math.log10(1.0 - head)


def _poisson_surprise(x: int, mean: float) -> float:
    head = sum(math.exp(k * math.log(mean) - mean - math.lgamma(k + 1)) for k in range(x))
    return -math.log10(1.0 - head)


@pytest.mark.parametrize(
    ("x", "expected", "history"), [(6, 0.0, 50), (3, 0.4, 180), (12, 1.87, 140), (9, 5.0, 30)]
)
def test_the_tail_sum_matches_one_minus_the_head(x: int, expected: float, history: int) -> None:
    assert surprise(x, expected, history, 10) == pytest.approx(
        _head_sum_surprise(x, expected, history, 10), rel=1e-6
    )


def test_a_long_history_gives_the_poisson_tail() -> None:
    assert surprise(23, 7.54, 10**8, 10) == pytest.approx(_poisson_surprise(23, 7.54), rel=1e-4)


def test_an_unseen_keyword_needs_more_authors_the_less_history_there_is() -> None:
    def authors_needed(history: int) -> int:
        return next(x for x in range(1, 100) if surprise(x, 0.0, history, 10) >= 6.0)

    assert [authors_needed(h) for h in (20, 50, 180)] == [12, 7, 5]


def test_z_and_surprise_disagree_on_a_common_keyword() -> None:
    # z = (23 - 7.54) / (2.42 + 1) = 4.5, yet a Poisson(7.54) count reaches 23 once in
    # 200,000 windows: not surprising among thousands of keywords tested every minute.
    assert 4.0 < surprise(23, 7.54, 90, 10) < 5.0


def test_surprise_grows_with_authors_and_falls_with_the_expectation() -> None:
    by_authors = [surprise(x, 1.0, 120, 10) for x in range(2, 15)]
    by_expected = [surprise(10, e, 120, 10) for e in (0.0, 0.5, 1.0, 2.0, 4.0)]
    assert by_authors == sorted(by_authors) and len(set(by_authors)) == len(by_authors)
    assert by_expected == sorted(by_expected, reverse=True)


def test_no_history_or_no_authors_is_no_surprise() -> None:
    assert surprise(50, 0.0, 0, 10) == 0.0
    assert surprise(0, 3.0, 120, 10) == 0.0


def test_a_huge_window_stays_finite() -> None:
    assert 40 < surprise(5000, 4000.0, 180, 10) < 60


def test_surprises_gives_the_value_of_each_row() -> None:
    got = surprises(
        pl.Series([6, 23, 2]), pl.Series([0.0, 7.54, 3.0]), pl.Series([180, 90, 60]), 10
    )
    assert got.to_list() == [
        surprise(6, 0.0, 180, 10),
        surprise(23, 7.54, 90, 10),
        surprise(2, 3.0, 60, 10),
    ]
