"""The server speaks on several threads at once: the text front end must give each the phonemes it gives alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from polyvox.text import TextFrontend

SENTENCES = (
    ("Hello world. The cat sat on the mat, and the quick brown fox jumps over the lazy dog.", "en"),
    ("El veloz murciélago hindú comía feliz cardillo y kiwi.", "es"),
    ("Falsches Üben von Xylophonmusik quält jeden größeren Zwerg.", "de"),
    ("今天天气很好，我们去公园散步吧。", "zh"),
    ("今日はとても良い天気ですね。", "ja"),
)


def test_concurrent_phonemization_equals_one_at_a_time() -> None:
    # Every call a text of its own (a front end may remember texts it has seen), each phonemized once alone.
    # Half of them English, so that calls on one language meet (garbled: 5 of 40 English calls, 181 of 240 repeated ones).
    chosen = [SENTENCES[0] if index % 2 == 0 else SENTENCES[index // 2 % len(SENTENCES)] for index in range(80)]
    work = [(f"{text} {index}", language) for index, (text, language) in enumerate(chosen)]
    alone = [TextFrontend([language for _, language in SENTENCES]).phonemize(text, language) for text, language in work]
    frontend = TextFrontend([language for _, language in SENTENCES])
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda item: frontend.phonemize(*item), work))
    wrong = [language for (_, language), tokens, expected in zip(work, together, alone) if tokens != expected]
    assert not wrong, f"{len(wrong)} of {len(work)} concurrent calls came back different ({sorted(set(wrong))})"
