"""Money and numbers as readers of each language expect them."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.formatting import format_money, format_number


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("50000000000", "CNY", "en", "CN¥50 billion"),
        ("50000000000", "CNY", "zh-hans", "500亿元"),
        ("7500000000", "USD", "en", "US$7.5 billion"),
        ("7500000000", "USD", "zh-hans", "75亿美元"),
        ("1200000000000", "CNY", "zh-hans", "1.2万亿元"),
        ("12500", "CNY", "en", "CN¥12,500"),
        ("12500", "CNY", "zh-hans", "1.25万元"),
        ("950", "CNY", "zh-hans", "950元"),
        ("5000000", "GBP", "en", "£5 million"),
        ("0", "CNY", "en", "CN¥0"),
    ],
)
def test_money_reads_as_it_is_said(amount, currency, language, expected):
    assert format_money(Decimal(amount), currency, language) == expected


def test_numbers_group_digits():
    assert format_number(Decimal("1234567.5"), "en") == "1,234,567.5"
    assert format_number(10, "zh-hans") == "10"


@given(st.integers(min_value=0, max_value=10**15))
def test_every_amount_formats_with_its_unit(amount):
    english = format_money(Decimal(amount), "CNY", "en")
    chinese = format_money(Decimal(amount), "CNY", "zh-hans")
    assert english.startswith("CN¥")
    assert chinese.endswith("元")
