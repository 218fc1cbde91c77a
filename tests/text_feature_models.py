"""A tiny BERT written into a folder, as a user's local text-feature model would be (no download)."""

from __future__ import annotations

from pathlib import Path

import torch

WORDS = (
    "hello there the cat sat on mat a is it to of and in you that was for are with his they be at one have this from "
    "or had by word but what some we can out other were all when up use your how said each she which do their time"
).split()
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def write_tiny_bert(folder: Path, seed: int = 0, hidden: int = 16) -> Path:
    """A 2-layer BERT (``hidden`` wide) and a fast WordPiece tokenizer of a small vocabulary, saved in ``folder``."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(WORDS), *LETTERS, *(f"##{c}" for c in LETTERS), ",", "."]
    (folder / "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocabulary), hidden_size=hidden, num_hidden_layers=2, num_attention_heads=2, intermediate_size=2 * hidden,
        max_position_embeddings=256,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
