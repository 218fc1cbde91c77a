"""The exported page in a real browser (headless Chromium through Playwright): the ids its front end
computes equal Python's ``TextRules.encode``, and its audio equals onnxruntime's in Python for the same
noise, whole (``synthesize``) and streamed in windows (``stream``). Skipped with the reason when Playwright,
Chromium or the npm runtime (``npm ci --prefix src/polyvox/web``) is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.data.corpus.sentences import SentenceGenerator, grammar_for
from polyvox.export.web_browser import browser_missing, chromium, open_page, serve
from polyvox.export.web_export import NPM_COMMAND, export_web, missing_runtime
from polyvox.speech_request import SpeechRequest

pytestmark = pytest.mark.skipif(
    bool(browser_missing() or missing_runtime()),
    reason=browser_missing() or f"the browser runtime is not installed: {NPM_COMMAND}",
)

ENGLISH = [
    "Hello, world.",
    "Mr. Smith's car isn't red; it's blue!",
    'She said "wait" (quietly) and left... Then what?',
    "The quick brown fox jumps over the lazy dog.",
    "Rock & roll is 100% fun, e.g. on a Friday.",
    "The 21st runner paid $5.50 for 1,234,567 tickets at -4 degrees, 3.14159 times in 1990.",
    "Well — that's that: café au lait, naïve résumé.",
    "Is it? Yes! No. Maybe…",
    "Dr. Who met Mrs. Jones at St. Paul's. Wait… what?!",
    "A/B testing: co-operate, re-enter [live] {loud}.",
]
OTHER_LANGUAGES = [("es", "¿Dónde está la biblioteca, señor?"), ("fr", "Bonjour, comment ça va ?"), ("de", "Guten Morgen, wie geht's?")]
# Numbers as polyvox/text/numbers.py spells them with num2words: cardinals, years (cardinals in Python),
# decimals with the language's comma, thousands separators, signs, ordinals (es, fr) and long digit runs.
NUMBERS = [
    ("es", "Tengo 3 gatos, 21 perros y 1.234.567 euros; en 1990 hacía -4,5 grados."),
    ("es", "El 1.º y la 2.ª llegaron el 3º, con 101, 500, 700 y 1000000 de votos, o 2000000 y 3,14159."),
    ("es", "Pagó 1.000,25 euros en 2024 por 12345678901234567 hojas."),
    ("fr", "J'ai 3 chats, 80 ou 81 ou 71 ou 91 euros et -4,5 degrés en 1990."),
    ("fr", "Le 1er, la 1re, le 21e et le 3ème arrivent avec 200, 280, 1000000 et 3,14 points."),
    ("de", "Ich habe 3 Katzen, 21 Hunde und 1.234.567 Euro; 1990 waren es -4,5 Grad."),
    ("de", "Es kamen 101, 1001, 100000 und 2000000 Leute, 3,14159 Mal, am 3. Mai 2024."),
    # Digit groups: no-break spaces join them in every language, a plain space in es, fr, de; line breaks do not.
    ("fr", "J'ai 3 000 euros et 1\u202f000\u00a0000 d'habitants. Étape 3\n100 g, 12 34 et 1 000,5 litres."),
    ("es", "Tengo 2 500 pesos y 1\u00a0000 euros, 3  000 no."),
    ("de", "Ich habe 10 000 Euro und 1\u202f000,5 Liter."),
    ("en", "It costs 1\u00a0000\u00a0000 dollars, not 3 000 or 3\n100."),
    # Amounts of money (currency.py): the whole amount with its sign, the unit agreeing, cents, scale words, US$.
    ("en", "It costs $1,000,000 now, or $1,000.50, $3.5 million, US$5, -$5, £2,500, $1 and 12.5% of 1,000%."),
    ("de", "Es kostet €1.000.000 oder 1.000,50 €, 1 € und $1 Million."),
    ("fr", "Il coûte 1 000 000 € ou 1\u202f000\u202f000\u00a0€, 2 500,50 €, 1 € et 12,5 %."),
    ("es", "Cuesta 1.000.000 €, $21, 1.000,50 € y $3,5 millones."),
    # Amounts before a noun (a five-dollar bill), abbreviated scales and the prefixed dollars.
    ("en", "A $5 bill, a $2.5bn deal and Apple's $3 trillion valuation; they raised $5m, €3k and A$20, C$5, HK$100, NZ$5."),
    ("de", "Es kostet 5 Mio. €, 1 Mrd. Euro, 3 k€ und A$20."),
    ("de", "Der Umsatz stieg um 5 Mio. Euro im Jahr. Danach fiel er."),
    ("fr", "Il coûte 1,5 M€, 3 Md€, 2,5 k€, HK$100 et £21."),
    ("es", "Cuesta 1 M€, 21 M€, A$20 y £200."),
]
# Mandarin: readings that differ from pinyin-pro's (你好 ni2, 一 and 不, 长, neutral tones), words pypinyin's
# dictionary cuts, numbers, Latin words (read by espeak-ng in English) and punctuation; then the listener's
# held-out sentences (benchmarks/listener_sentences.py) and grammar sentences below.
MANDARIN = [
    "你好，世界！", "现在几点了？", "今天天气很好，我们去公园散步吧。", "我想喝一杯咖啡。", "这个问题不太难。",
    "他一个人去银行取钱。", "请把门关上。", "我很喜欢学习中文。", "小狗跑得很快。", "我们还没有吃饭。", "长城很长。",
    "你要不要一起来？", "老师说得对。", "北京是中国的首都。", "我也不知道。", "音乐让我很快乐。", "他重新开始工作。",
    "展览馆里有很多人。", "我买了两本书。", "妈妈做的饭很好吃。", "我们一起去看电影吧。", "这本书我已经看完了。",
    "2024年我有3.5个苹果，50%的人说-7度。", "他花了$5和１２３元。", "¥10,000和$1,000,000，-$5，1,000%。", "我用iPhone给Tom打电话。", "一一得一，不要不要。",
    "“你好”（他说）《红楼梦》……", "老虎老鼠展览馆，嗯。",
]
LISTENER_MANDARIN = [  # benchmarks/listener_sentences.py, EVERYDAY["zh"]
    "请问火车站怎么走？", "我昨天把雨伞忘在办公室了。", "这个汤太咸了，请加点水。", "我们七点半在电影院门口见面。",
    "明天可能会下大雨。", "我的手机没电了。", "冰箱里还有十二个鸡蛋。", "你想再喝一杯茶吗？",
]
# One sentence each: the noises below are drawn per sentence.
AUDIO_SENTENCES = [(ENGLISH[0], "en"), (ENGLISH[1], "en"), (ENGLISH[3], "en"), (LISTENER_MANDARIN[0], "zh")]
# Max |browser - Python| per sample: onnxruntime-web's WebAssembly kernels against the native ones (~1e-6 seen).
AUDIO_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def python_voice(page_folder: Path):
    from polyvox.inference.onnx_voice import OnnxVoice

    return OnnxVoice.load(page_folder / "voice.onnx", threads=1)


@pytest.fixture(scope="module")
def page_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("page")
    export_web(DEFAULT_VOICE, folder)
    return folder


@pytest.fixture(scope="module")
def browser():
    with chromium() as opened:
        yield opened


@pytest.fixture(scope="module")
def page(page_folder: Path, browser):
    with serve(page_folder) as url, open_page(browser, url + "index.html") as opened:
        assert opened.status == "Ready.", opened.status
        yield opened
        assert not opened.errors, opened.errors


ENCODE = """async ([text, language]) => {
  const voice = window.polyvoxVoice, out = [];
  for (const sentence of voice.rules.sentences(text, language)) out.push([sentence, await voice.encode(sentence, language)]);
  return out;
}"""


def test_ids_equal_python(page, python_voice) -> None:
    cases = [(text, "en") for text in ENGLISH] + [(text, language) for language, text in OTHER_LANGUAGES + NUMBERS]
    cases += [(text, "zh") for text in MANDARIN + LISTENER_MANDARIN]
    for language in ("en", "es", "fr", "de", "zh"):  # the corpus grammar's sentences: words the voice was trained on
        cases += [(text, language) for text in SentenceGenerator(grammar_for(language), seed=3).sentences(10)]
    for text, language in cases:
        browser = page.page.evaluate(ENCODE, [text, language])
        expected = python_voice.text.sentences(text, language)
        assert [sentence for sentence, _ in browser] == expected, text
        for (sentence, encoded), python_sentence in zip(browser, expected):
            python = python_voice.encode(python_sentence, language)
            assert encoded["phonemeIds"] == python.phoneme_ids, sentence
            assert encoded["languageIds"] == python.language_ids, sentence
            assert encoded["prosodyIds"] == python.prosody_ids, sentence


FEATURES = """async ([sentence, language]) => {
  const rules = window.polyvoxVoice.rules, scheme = rules.scheme;
  rules.scheme = "features";
  try { return rules.inScheme(await rules.phonemize(sentence, language)).map((t) => [t.symbol, t.language, t.accent, t.length]); }
  finally { rules.scheme = scheme; }
}"""


def test_mandarin_tokens_in_the_features_scheme(page, python_voice) -> None:
    """The bundled voice is fused; a features voice's Mandarin initials take their syllable's tone, as in Python."""
    from polyvox.text.prosody import with_features

    for sentence in MANDARIN[:5] + ["嗯，我用iPhone。"]:
        python = with_features(python_voice.text.frontend.phonemize(sentence, "zh"))
        browser = page.page.evaluate(FEATURES, [sentence, "zh"])
        assert browser == [[token.symbol, token.language, token.accent, token.length] for token in python], sentence


SPEAK = """async ([text, language, noises, streamed]) => {
  const voice = window.polyvoxVoice, queue = noises.map((values) => Float32Array.from(values));
  const noise = (shape) => {
    const values = queue.shift();
    if (values.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`noise of ${values.length} for shape ${shape}`);
    return values;
  };
  const options = { language, noise };
  if (!streamed) return Array.from((await voice.synthesize(text, options)).samples);
  const chunks = [];
  for await (const chunk of voice.stream(text, options)) chunks.push(...chunk);
  return chunks;
}"""


def _python_speech(voice, sentence: str, language: str, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The noises drawn for ``sentence`` (duration, then prior) and the audio OnnxVoice makes with them (at the
    voice's synthesis settings where the request names none, as the page speaks)."""
    encoded = voice.encode(sentence, language)
    options = voice.text.options(SpeechRequest(sentence, language=language))
    random = np.random.default_rng(seed)
    duration_noise = random.standard_normal((1, 2, len(encoded.phoneme_ids)), dtype=np.float32)
    prior = voice.encode_prior(
        np.array([encoded.phoneme_ids]), np.array([encoded.language_ids]), np.array([len(encoded.phoneme_ids)]),
        np.array([options.speaker_id]), np.array([options.length_scale]), np.array([options.settings.noise_scale_duration]),
        duration_noise, np.array([encoded.prosody_ids]),
    )
    prior_noise = random.standard_normal(prior.means.shape, dtype=np.float32)
    latent = voice.sample_prior(prior, options.settings.noise_scale, prior_noise)
    waveform = voice.decode_latent(latent, np.ones_like(latent[:, :1]), np.array([options.speaker_id]))
    return [duration_noise, prior_noise], np.clip(waveform[0, 0], -1.0, 1.0)


@pytest.mark.parametrize("streamed", [False, True], ids=["synthesize", "stream"])
def test_audio_equals_onnxruntime(page, python_voice, streamed: bool) -> None:
    for seed, (sentence, language) in enumerate(AUDIO_SENTENCES):
        noises, expected = _python_speech(python_voice, sentence, language, seed)
        got = np.array(page.page.evaluate(SPEAK, [sentence, language, [noise.ravel().tolist() for noise in noises], streamed]), dtype=np.float32)
        assert got.shape == expected.shape, sentence
        difference = float(np.max(np.abs(got - expected)))
        print(f"{'stream' if streamed else 'synthesize'} {sentence!r}: {len(got)} samples, max |browser - Python| {difference:.2e}")
        assert difference < AUDIO_TOLERANCE, sentence


def _speak_in_page(opened, text: str, language: str | None = None) -> str:
    """Type ``text``, press Speak, and return the status line once the page has answered."""
    page = opened.page
    page.fill("#text", text)
    if language:
        page.select_option("#language", language)
    page.click("#speak")
    page.wait_for_function("!document.getElementById('speak').disabled")
    return opened.status


def test_page_lists_languages_it_cannot_phonemize(page) -> None:
    # The bundled voice's languages are all read in the browser (ja since the Japanese front end, #21).
    listed = page.page.inner_text("#unsupported")
    assert "ja:" not in listed and "zh:" not in listed
    assert not page.page.eval_on_selector("#language option[value=ja]", "option => option.disabled")
    assert not page.page.eval_on_selector("#language option[value=zh]", "option => option.disabled")
    refused = page.page.evaluate("""async () => {
      try { for await (const chunk of window.polyvoxVoice.stream("привет", { language: "ru" })) {} return "spoken"; }
      catch (error) { return error.message; }
    }""")
    assert "this voice does not speak 'ru'" in refused


@pytest.mark.parametrize(
    ("text", "message"),
    [("... !?", "no sentence to speak"), ("Hello # there.", "cannot read '#'")],
)
def test_bad_text_is_a_visible_message(page, text: str, message: str) -> None:
    status = _speak_in_page(page, text, "en")
    assert message in status
    assert page.page.eval_on_selector("#status", "status => status.className") == "error"


@pytest.mark.parametrize(
    ("text", "message"),
    [("你好#。", "cannot read '#'"), ("你好かな。", "cannot read 'か', 'な'"), ("你好\u3402。", "no reading for '\u3402'")],
)
def test_bad_mandarin_is_a_visible_message(page, text: str, message: str) -> None:
    status = _speak_in_page(page, text, "zh")
    assert message in status
    assert page.page.eval_on_selector("#status", "status => status.className") == "error"


def test_page_speaks_mandarin(page) -> None:
    assert _speak_in_page(page, "你好，世界！", "zh").startswith("first audio after")


def test_number_num2words_cannot_spell_is_a_visible_message(page) -> None:
    """num2words' Spanish ordinal of 999999999999999 recurses without end in Python; the page says so in one line."""
    assert "too large to spell out in 'es'" in _speak_in_page(page, "El 999999999999999º llegó.", "es")


def test_page_speaks_numbers_in_spanish(page) -> None:
    assert _speak_in_page(page, "Tengo 3 gatos.", "es").startswith("first audio after")


def test_page_speaks(page) -> None:
    assert _speak_in_page(page, "Hello there.", "en").startswith("first audio after")


def test_model_that_fails_to_load_is_a_visible_message(page_folder: Path, browser, tmp_path: Path) -> None:
    for file in page_folder.rglob("*"):
        if file.is_file():
            target = tmp_path / file.relative_to(page_folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.hardlink_to(file)
    broken = tmp_path / "voice.encoder.onnx"
    broken.unlink()
    broken.write_bytes(b"not an onnx graph")
    with serve(tmp_path) as url:
        for address, expected in ((url + "index.html", "voice.encoder.onnx is not a usable ONNX graph"), (url + "index.html?voice=missing.json", "HTTP 404")):
            with open_page(browser, address) as opened:
                assert opened.status.startswith("The voice could not be loaded") and expected in opened.status, opened.status
                assert not opened.errors, opened.errors
