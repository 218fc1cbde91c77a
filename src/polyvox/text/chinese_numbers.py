"""Reading Arabic numerals in Mandarin: 2024 -> 二千零二十四, 3.5 -> 三点五, 50% -> 百分之五十."""

from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ("", "十", "百", "千")
_LARGE_UNITS = ("", "万", "亿", "兆")
_MAX_INTEGER_DIGITS = len(_LARGE_UNITS) * 4

_PERCENT = re.compile(r"(-?\d+(?:\.\d+)?)\s*[%％]")
_YEAR = re.compile(r"(\d{4})(?=\s*年)")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def read_digits(digits: str) -> str:
    """Digit by digit: 2024 -> 二零二四."""
    return "".join(DIGITS[int(digit)] for digit in digits)


def _read_group(group: int) -> str:
    """0 < group < 10000, without leading zeros."""
    text = ""
    pending_zero = False
    for power in range(3, -1, -1):
        digit = group // 10**power % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += DIGITS[digit] + _SMALL_UNITS[power]
    return text


def read_integer(number: int) -> str:
    """A whole number in Chinese numerals (10 -> 十, 110 -> 一百一十, 2024 -> 二千零二十四)."""
    if number < 0:
        return "负" + read_integer(-number)
    if number == 0:
        return "零"
    if len(str(number)) > _MAX_INTEGER_DIGITS:
        return read_digits(str(number))
    groups: list[int] = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    text = ""
    zero_needed = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_needed = bool(text)
            continue
        if text and (zero_needed or group < 1000):
            text += "零"
        text += _read_group(group) + _LARGE_UNITS[index]
        zero_needed = False
    if text.startswith("一十"):
        text = text[1:]
    return text


def read_number(literal: str) -> str:
    """An integer or decimal literal such as ``-3.05`` -> 负三点零五."""
    negative = literal.startswith("-")
    whole, _, fraction = literal.lstrip("-").partition(".")
    text = read_integer(int(whole))
    if fraction:
        text += "点" + read_digits(fraction)
    return ("负" if negative else "") + text


def spell_chinese_numbers(text: str) -> str:
    """Replace percentages, years (``2024年``) and numbers in ``text`` with Chinese words."""
    text = _PERCENT.sub(lambda match: "百分之" + read_number(match.group(1)), text)
    text = _YEAR.sub(lambda match: read_digits(match.group(1)), text)
    return _NUMBER.sub(lambda match: read_number(match.group(0)), text)
