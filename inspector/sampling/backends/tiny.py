"""Tiny random models saved as real Hugging Face directories: for tests, benchmarks and a first try offline.

``python -m inspector.sampling.backends.tiny DIR [--prm]`` writes one. The tokenizer is a byte-level BPE
trained in memory on a few strings (so any text round-trips), with Qwen's chat tokens, a Qwen-style
chat template and the PRM step separator ``<extra_0>``; the model is a two-layer Qwen2 with hidden
size 32 and random weights (seeded, so the same call writes the same model). It is loaded back
through the same ``from_pretrained`` path a user's model takes. What it writes is gibberish.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import require_models

__all__ = ["CHAT_TEMPLATE", "SPECIAL_TOKENS", "build_tiny_model"]

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<extra_0>")

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_CORPUS = [
    "Natalia sold 48 clips in April and half as many in May: 48 / 2 = 24, so 48 + 24 = 72.",
    "He buys 17 * 6 = 102 pens. The answer is \\boxed{102}.",
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "Step 1: 3 + 4 = 7\nStep 2: 7 * 2 = 14\nThe answer is 14.",
    "Janet's ducks lay 16 eggs per day. She eats three and bakes with four: 16 - 3 - 4 = 9.",
]


def build_tiny_model(path: str | Path, *, prm: bool = False, seed: int = 0, vocab_size: int = 300) -> Path:
    """Write a tiny random causal LM (or, ``prm``, a two-class token classifier) with its tokenizer to ``path``."""
    torch, transformers = require_models("building a tiny model")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(_CORPUS, trainer=trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>", "<extra_0>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(out)

    eos = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    config = transformers.Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        tie_word_embeddings=True, bos_token_id=None, eos_token_id=eos, pad_token_id=eos,
        num_labels=2,
    )
    torch.manual_seed(seed)
    cls = transformers.Qwen2ForTokenClassification if prm else transformers.Qwen2ForCausalLM
    model = cls(config)
    if not prm:
        model.generation_config = transformers.GenerationConfig(eos_token_id=[eos, im_end], pad_token_id=eos)
    model.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m inspector.sampling.backends.tiny DIR [--prm]", file=sys.stderr)
        return 2
    where = build_tiny_model(args[0], prm="--prm" in args[1:])
    print(where)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
