"""A tiny randomly initialised Whisper model built in a test (its text is gibberish: the plumbing is
what is tested), saved with transformers and, for faster-whisper, converted to CTranslate2."""

from __future__ import annotations

from pathlib import Path

LANGUAGES = ("en", "es", "de", "zh")


def _byte_characters() -> list[str]:
    """GPT-2's byte-level alphabet (one printable character per byte), as Whisper's tokenizer uses it."""
    kept = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    extra = iter(range(256, 512))
    return [chr(byte) if byte in kept else chr(next(extra)) for byte in range(256)]


def build_tiny_whisper(folder: Path, languages: tuple[str, ...] = LANGUAGES) -> Path:
    import torch
    import transformers

    special_tokens = (
        "<|endoftext|>", "<|startoftranscript|>", *(f"<|{code}|>" for code in languages),
        "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>",
    )
    # Every byte as a token (no merges), so any text encodes; then Whisper's special tokens.
    vocab = {character: index for index, character in enumerate(_byte_characters())}
    tokenizer = transformers.WhisperTokenizer(vocab=vocab, merges=[], additional_special_tokens=list(special_tokens[1:]))
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in special_tokens}
    end = ids["<|endoftext|>"]
    config = transformers.WhisperConfig(
        vocab_size=len(tokenizer), num_mel_bins=80, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        max_source_positions=1500, max_target_positions=448, pad_token_id=end, bos_token_id=end, eos_token_id=end,
        decoder_start_token_id=ids["<|startoftranscript|>"],
    )
    torch.manual_seed(0)
    model = transformers.WhisperForConditionalGeneration(config)
    model.generation_config = transformers.GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"], eos_token_id=end, pad_token_id=end, bos_token_id=end,
        lang_to_id={f"<|{code}|>": ids[f"<|{code}|>"] for code in languages},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], is_multilingual=True, max_length=12,
    )
    model.save_pretrained(folder)
    features = transformers.WhisperFeatureExtractor(feature_size=80)
    processor = transformers.WhisperProcessor(feature_extractor=features, tokenizer=tokenizer)
    processor.save_pretrained(folder)
    return folder


def convert_to_ctranslate2(transformers_folder: Path, output: Path) -> Path:
    """The model in CTranslate2's layout (model.bin, config.json, tokenizer.json), as faster-whisper loads it."""
    from ctranslate2.converters import TransformersConverter

    converter = TransformersConverter(str(transformers_folder), copy_files=["tokenizer.json"])
    return Path(converter.convert(str(output), quantization=None))
