"""Masking buyers' phone numbers and e-mail addresses in review text."""

from __future__ import annotations

import pandas as pd
import pytest

from supplier_audit.contracts.privacy import mask_contacts


def masked(text: str) -> str:
    return str(mask_contacts(pd.Series([text])).iloc[0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("加我13812345678退款", "加我138****5678退款"),
        ("电话 138 1234 5678。", "电话 138****5678。"),
        ("电话:138-1234-5678", "电话:138****5678"),
        ("call +86 139 0000 1111 please", "call +86 139****1111 please"),
        ("+8615900001111", "+86159****1111"),
        ("008619912345678", "0086199****5678"),
        ("手机１３８１２３４５６７８", "手机１３８****５６７８"),  # full-width digits
        ("座机0571-88888888转分机", "座机0571-****8888转分机"),
        ("北京 010-12345678", "北京 010-****5678"),
        ("(0755)2345 6789", "(0755)****6789"),
        ("邮箱 zhangsan@qq.com 联系", "邮箱 z***@qq.com 联系"),
        ("mail Li.Si+shop@mail.example.com.cn.", "mail L***@mail.example.com.cn."),
        ("QQ邮箱13812345678@qq.com", "QQ邮箱1***@qq.com"),
        ("两个: 13812345678, 13987654321", "两个: 138****5678, 139****4321"),
    ],
)
def test_contacts_are_masked(text: str, expected: str) -> None:
    assert masked(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单号 123456789012345678 还没发货",  # 18-digit order id
        "订单138123456789012345",  # an order id that starts like a mobile
        "SKU-13812345678 尺码 M",  # SKU code
        "SKU13812345678",
        "价格 ¥138.00, 原价 13812345678.00 元",  # prices
        "2026-11-03 收到, 2026年11月3日 评价, 20261103",  # dates
        "批次 L-0571-88888888",  # a lot code that holds a landline-like run
        "12345678901",  # 11 digits, not a mobile (starts with 12)
        "质量很好, 五星",
        "",
    ],
)
def test_ids_prices_and_dates_are_left_alone(text: str) -> None:
    assert masked(text) == text


def test_the_column_keeps_its_index_missing_values_and_non_text() -> None:
    texts = pd.Series(["13812345678", None, 5, "ok"], index=[10, 11, 12, 13], dtype=object)
    result = mask_contacts(texts)
    assert result.index.tolist() == [10, 11, 12, 13]
    assert result.iloc[0] == "138****5678"
    assert result.iloc[1] is None or pd.isna(result.iloc[1])
    assert result.iloc[2] == 5 and result.iloc[3] == "ok"
    assert texts.iloc[0] == "13812345678"  # the argument is not changed


def test_string_dtype_column_stays_string() -> None:
    texts = pd.Series(["call 13812345678", pd.NA], dtype="string")
    result = mask_contacts(texts)
    assert result.dtype == texts.dtype
    assert result.iloc[0] == "call 138****5678" and pd.isna(result.iloc[1])


def test_a_column_without_text_is_returned_as_is() -> None:
    empty = pd.Series([], dtype=object)
    assert mask_contacts(empty).empty
    numbers = pd.Series([1.0, float("nan")])
    assert mask_contacts(numbers).equals(numbers)


def test_digits_kept_are_exactly_the_first_three_and_last_four() -> None:
    numbers = ["13012345678", "15900000001", "19999999999", "17700001234"]
    result = mask_contacts(pd.Series(numbers))
    for original, shown in zip(numbers, result, strict=True):
        assert len(original) == 11
        assert shown == original[:3] + "****" + original[-4:]
