"""The statistics of the performance verdict, on inputs whose answers are known by hand."""
import pytest

from replica.gate.stats import p_greater, ranks, u_statistic


def test_ties_share_the_mean_of_their_ranks():
    assert ranks([3.0, 1.0, 3.0, 2.0]) == [3.5, 1.0, 3.5, 2.0]


def test_u_counts_the_pairs_in_which_the_sample_is_larger():
    assert u_statistic([4, 5, 6], [1, 2, 3]) == 9
    assert u_statistic([1, 2, 3], [4, 5, 6]) == 0
    assert u_statistic([2, 4], [1, 3]) == 3  # 2>1, 4>1, 4>3


def test_p_of_a_clear_shift_matches_the_normal_approximation():
    # U=9, mean 4.5, variance 9/12*7 = 5.25, z = (9-4.5-0.5)/sqrt(5.25): scipy's asymptotic 0.0404
    assert p_greater([4, 5, 6], [1, 2, 3]) == pytest.approx(0.04043, abs=1e-4)
    assert p_greater([1, 2, 3], [4, 5, 6]) > 0.95


def test_same_distribution_is_not_significant():
    sample = [1.0 + (i * 7 % 13) / 13 for i in range(40)]
    assert 0.3 < p_greater(sample, list(reversed(sample))) < 0.7


def test_ties_are_corrected_for():
    # U=14.5; ties 1x3, 2x4: variance 16/12*(9 - 84/56) = 10; z = 6/sqrt(10): p 0.0289
    assert p_greater([2, 2, 2, 3], [1, 1, 1, 2]) == pytest.approx(0.02889, abs=1e-4)


def test_nothing_to_compare_is_never_significant():
    assert p_greater([], [1.0, 2.0]) == 1.0
    assert p_greater([5.0, 5.0], [5.0, 5.0]) == 1.0


def test_quantiles_interpolate_between_neighbours():
    from replica.gate.stats import quantile
    assert quantile([4.0, 1.0, 3.0, 2.0, 5.0], 0.25) == 2.0
    assert quantile([1.0, 2.0], 0.5) == 1.5 and quantile([7.0], 0.25) == 7.0
