"""What can be a token (commerce.tokens): the URL converters and the code agree."""

import re

import pytest

from commerce.services.shopping_lists import SHARE_TOKEN_BYTES, shared_list
from commerce.tokens import is_token, new_token, token_regex


def test_every_new_token_is_a_token_and_matches_the_converters_pattern():
    for _ in range(50):
        token = new_token()
        assert is_token(token)
        assert re.fullmatch(token_regex(), token)


@pytest.mark.parametrize(
    "value",
    [None, 12, "", "a" * 31, "a" * 33, "a" * 64, "a" * 31 + "=", "a" * 31 + "/", "a" * 31 + "é"],
)
def test_anything_else_is_not(value):
    assert not is_token(value)


def test_a_share_token_has_its_own_length():
    assert is_token("a" * 43, SHARE_TOKEN_BYTES)
    assert not is_token("a" * 32, SHARE_TOKEN_BYTES)


@pytest.mark.django_db
def test_a_share_token_that_cannot_exist_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert shared_list("a" * 64) is None
