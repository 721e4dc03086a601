"""Synthetic domains: stroke-drawn shapes whose look is a parameter, for controlled experiments.

Real datasets give one fixed source-target pair. Here the source and target domains are drawn
from the same 10 shape classes (circle, square, ..., spiral) and the *difference* between them
is a dial: rotation, colours, background texture, pixel noise, stroke width, and even the
meaning of the labels. Sweeping :func:`make_domain_pair`'s ``similarity`` from 1 to 0 shows
transfer turning from helpful to harmful (negative transfer) and creates domain shift on demand.

* :class:`DomainSpec` - how the images of one domain are drawn (frozen, comparable).
* :func:`make_domain` - draw an :class:`~tl_helpers.data.ImageDataset` from a spec.
* :func:`make_domain_pair` - a clean source domain and a target shifted by ``1 - similarity``.
* :func:`similarity_sweep` - the same source with targets at several similarities.

Everything is numpy (plus scikit-image for blurring): no TensorFlow, no files, no downloads.
Shapes are drawn (by the private ``_domain_drawing`` module) as anti-aliased strokes with
random position, size and rotation per image, so the classes are learnable but not trivial.
Two specs with the same seed draw the *same shapes* and differ only in how they look: a
controlled experiment.

Example:
    >>> source, target = make_domain_pair(similarity=0.5, n_per_class_source=20,
    ...                                   n_per_class_target=5)
    >>> source.x.shape, target.x.shape
    ((200, 32, 32, 3), (50, 32, 32, 3))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from numbers import Real
from typing import Any

import numpy as np

from tl_helpers import config
from tl_helpers._domain_drawing import (
    _ORDER,
    SHAPE_CLASSES,
    _check_common,
    _draw,
    _number,
    _rgb,
    _rng,
)
from tl_helpers._validation import check_choice, check_int
from tl_helpers.data import ImageDataset

__all__ = [
    "SHAPE_CLASSES",
    "SHIFT_FACTORS",
    "DomainSpec",
    "make_domain",
    "make_domain_pair",
    "similarity_sweep",
]

#: What :func:`make_domain_pair` can shift between source and target.
SHIFT_FACTORS: tuple[str, ...] = ("rotation", "colour", "background", "noise", "stroke", "labels")

BACKGROUND_KINDS = ("plain", "noise", "texture")

# Look of the target domain at similarity 0 (the source is the clean default DomainSpec()).
_FAR_ROTATION = 180.0
_FAR_FOREGROUND = (250, 200, 30)  # yellow strokes ...
_FAR_BACKGROUND = (40, 70, 160)  # ... on dark blue
_FAR_NOISE_STD = 60.0
_FAR_STROKE_WIDTH = 4.0


# ------------------------------------------------------------------------------- DomainSpec
@dataclasses.dataclass(frozen=True)
class DomainSpec:
    """How the images of one domain are drawn (the default is the clean source domain).

    Specs are frozen and compare by value, so ``spec_a == spec_b`` means "same distribution".
    Use ``dataclasses.replace(spec, rotation=90)`` to derive a changed spec.

    Attributes:
        rotation: degrees added to every shape (counter-clockwise on screen).
        rotation_jitter: random rotation per image, uniform in +-``rotation_jitter`` degrees.
        stroke_width: stroke width in pixels at 32x32 (scaled with ``image_size``), > 0.
        scale: shape size relative to the image, in (0, 2] (1.0 fills about 70% of it).
        foreground: stroke colour, RGB 0-255.
        background: background colour, RGB 0-255.
        background_kind: ``"plain"`` (the ``background`` colour), ``"noise"`` (smooth random
            coloured blotches) or ``"texture"`` (random oriented coloured stripes).
        texture_strength: how strongly the noise/texture covers the background colour, 0-1;
            used only when ``background_kind`` is not ``"plain"``.
        noise_std: standard deviation of per-pixel Gaussian noise (0-255 scale).
        blur: Gaussian blur sigma in pixels (0 = sharp), applied before the noise.
        invert: swap dark and light (``255 - pixel``) at the end.
        label_permutation: optional tuple, one entry per class: label ``i`` draws shape
            ``SHAPE_CLASSES[label_permutation[i]]`` (distinct indices 0-9). A permutation
            keeps the same pictures but gives them another meaning; a subset such as
            ``(5, 6, 7, 8, 9)`` gives a task with other classes.

    Raises:
        ValueError: a field is out of range or ``background_kind`` is unknown.
        TypeError: a numeric field is not a number, or ``invert`` is not a bool.

    Example:
        >>> spec = DomainSpec(rotation=90, background_kind="texture", texture_strength=0.5)
        >>> spec.rotation, spec == DomainSpec()
        (90.0, False)
    """

    rotation: float = 0.0
    rotation_jitter: float = 15.0
    stroke_width: float = 1.5
    scale: float = 1.0
    foreground: tuple[int, int, int] = (255, 255, 255)
    background: tuple[int, int, int] = (0, 0, 0)
    background_kind: str = "plain"
    texture_strength: float = 1.0
    noise_std: float = 0.0
    blur: float = 0.0
    invert: bool = False
    label_permutation: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        def put(name, value):  # normalise a field of the frozen dataclass
            object.__setattr__(self, name, value)

        put("rotation", _number("rotation", self.rotation))
        put("rotation_jitter", _number("rotation_jitter", self.rotation_jitter, 0))
        put("stroke_width", _number("stroke_width", self.stroke_width, 0, low_open=True))
        put("scale", _number("scale", self.scale, 0, 2))
        if self.scale == 0:
            raise ValueError("Argument `scale` must be > 0. Received: scale=0")
        put("texture_strength", _number("texture_strength", self.texture_strength, 0, 1))
        put("noise_std", _number("noise_std", self.noise_std, 0))
        put("blur", _number("blur", self.blur, 0))
        put("foreground", _rgb("foreground", self.foreground))
        put("background", _rgb("background", self.background))
        check_choice("background_kind", self.background_kind, BACKGROUND_KINDS)
        if not isinstance(self.invert, (bool, np.bool_)):
            raise TypeError(f"Argument `invert` must be True or False. Received: "
                            f"invert={self.invert!r}")
        put("invert", bool(self.invert))
        perm = self.label_permutation
        if perm is not None:
            try:
                values = tuple(perm)
            except TypeError:
                values = ()
            ok = (
                len(values) >= 2
                and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                        for v in values)
                and len(set(values)) == len(values)
                and all(0 <= v < len(SHAPE_CLASSES) for v in values)
            )
            if not ok:
                raise ValueError(
                    "Argument `label_permutation` must be a permutation of 0..num_classes-1 "
                    f"(or at least 2 distinct shape indices 0-{len(SHAPE_CLASSES) - 1}). "
                    f"Received: label_permutation={perm!r}"
                )
            put("label_permutation", tuple(int(v) for v in values))


# ------------------------------------------------------------------------------- make_domain
def make_domain(
    spec: DomainSpec | None = None,
    n_per_class: int = 100,
    *,
    image_size: int = config.IMAGE_SIZE,
    channels: int = 3,
    num_classes: int = 10,
    seed: int = config.SEED,
    name: str = "synthetic",
) -> ImageDataset:
    """Draw ``n_per_class`` images of each of ``num_classes`` shape classes.

    Args:
        spec: how the domain looks; ``None`` is the clean default (white strokes on black).
        n_per_class: images per class.
        image_size: height and width in pixels (>= 8).
        channels: 1 (grayscale) or 3 (RGB).
        num_classes: how many classes (2-10); class ``i`` draws ``SHAPE_CLASSES[i]``, or
            ``SHAPE_CLASSES[spec.label_permutation[i]]`` when the spec permutes labels.
        seed: random seed (>= 0). The same seed gives the same images; two specs with the
            same seed draw the same shapes (position, size, jitter) and differ only in look.
        name: the dataset's name.

    Returns:
        An :class:`~tl_helpers.data.ImageDataset`: ``uint8`` images
        ``(num_classes * n_per_class, image_size, image_size, channels)`` in shuffled order,
        ``int64`` labels with ``n_per_class`` of each class, and the shape names as
        ``class_names``.

    Raises:
        TypeError: ``spec`` is not a :class:`DomainSpec`, or an integer argument is not one.
        ValueError: an argument is out of range, or ``spec.label_permutation`` does not have
            ``num_classes`` entries.

    Example:
        >>> ds = make_domain(DomainSpec(rotation=45), n_per_class=3, num_classes=4)
        >>> ds.x.shape, ds.x.dtype, ds.class_names
        ((12, 32, 32, 3), dtype('uint8'), ['circle', 'square', 'triangle', 'cross'])
        >>> make_domain(DomainSpec(label_permutation=(1, 0)), 2, num_classes=2).class_names
        ['square', 'circle']
    """
    spec = DomainSpec() if spec is None else spec
    if not isinstance(spec, DomainSpec):
        raise TypeError(
            f"Argument `spec` must be a DomainSpec or None. Received: spec of type "
            f"{type(spec).__name__}"
        )
    check_int("n_per_class", n_per_class, minimum=1)
    _check_common(image_size, channels, num_classes, seed)
    perm = spec.label_permutation
    if perm is not None and len(perm) != num_classes:
        raise ValueError(
            f"Argument `spec.label_permutation` must have num_classes={num_classes} entries. "
            f"Received: label_permutation={perm!r}"
        )
    return _draw(spec, n_per_class, image_size, channels, num_classes, seed, name, domain=0)


# ------------------------------------------------------------------------------- domain pairs
def _check_similarity(similarity) -> float:
    if isinstance(similarity, bool) or not isinstance(similarity, Real):
        raise TypeError(
            f"Argument `similarity` must be a number between 0 and 1. "
            f"Received: similarity={similarity!r}"
        )
    if not 0.0 <= similarity <= 1.0:  # also rejects nan
        raise ValueError(
            f"Argument `similarity` must be between 0 and 1. Received: similarity={similarity!r}"
        )
    return float(similarity)


def _check_shift(shift) -> tuple[str, ...]:
    factors = (shift,) if isinstance(shift, str) else tuple(shift)
    for factor in factors:
        check_choice("shift", factor, SHIFT_FACTORS)
    return factors


def _lerp(a, b, t):
    return a + (b - a) * t


def _target_spec(similarity: float, shift: tuple[str, ...], num_classes: int,
                 seed: int) -> DomainSpec:
    """The target's spec: the clean spec moved ``1 - similarity`` of the way along ``shift``."""
    t = 1.0 - similarity  # 0 = identical, 1 = as different as it gets
    clean = DomainSpec()
    kwargs: dict = {}
    if "rotation" in shift:
        kwargs["rotation"] = _lerp(clean.rotation, _FAR_ROTATION, t)
    if "colour" in shift:
        kwargs["foreground"] = tuple(_lerp(np.array(clean.foreground), _FAR_FOREGROUND, t))
        kwargs["background"] = tuple(_lerp(np.array(clean.background), _FAR_BACKGROUND, t))
    if "background" in shift and t > 0:
        kwargs.update(background_kind="texture", texture_strength=t)
    if "noise" in shift:
        kwargs["noise_std"] = _lerp(clean.noise_std, _FAR_NOISE_STD, t)
    if "stroke" in shift:
        kwargs["stroke_width"] = _lerp(clean.stroke_width, _FAR_STROKE_WIDTH, t)
    if "labels" in shift:
        k = int(round(t * num_classes))  # how many classes change meaning
        perm = list(range(num_classes))
        if k >= 2:
            # a fixed order per seed, so the permuted classes are nested as similarity falls
            order = _rng(seed, 1, _ORDER, 1).permutation(num_classes)
            chosen = order[:k]
            for c, v in zip(chosen, np.roll(chosen, 1), strict=True):  # a cycle: all move
                perm[c] = int(v)
        if perm != list(range(num_classes)):
            kwargs["label_permutation"] = tuple(perm)
    return DomainSpec(**kwargs)


def make_domain_pair(
    similarity: float,
    n_per_class_source: int = 200,
    n_per_class_target: int = 50,
    *,
    image_size: int = config.IMAGE_SIZE,
    channels: int = 3,
    num_classes: int = 10,
    seed: int = config.SEED,
    shift: Iterable[str] | str = ("rotation", "colour", "background", "noise"),
) -> tuple[ImageDataset, ImageDataset]:
    """A source domain and a target domain whose similarity is ``similarity``.

    The source is the clean default domain ``DomainSpec()`` (white strokes on black), the same
    images as ``make_domain(n_per_class=n_per_class_source, seed=seed)``. The target moves
    linearly away from it as ``similarity`` goes from 1 (the same spec: same distribution,
    new images) to 0, along the factors named in ``shift``. At ``similarity=0``:

    * ``"rotation"``: every shape is turned by 180 degrees (asymmetric shapes such as
      triangle, arc, chevron and spiral point the other way);
    * ``"colour"``: yellow strokes (250, 200, 30) on a dark blue background (40, 70, 160);
    * ``"background"``: random coloured stripes (``background_kind="texture"``) at full
      strength behind the shapes (strength ``1 - similarity`` in between);
    * ``"noise"``: per-pixel Gaussian noise with standard deviation 60 (0-255 scale);
    * ``"stroke"``: strokes 4 pixels wide instead of 1.5;
    * ``"labels"``: every class label points to another shape (same pictures, other
      meaning), which makes transfer genuinely harmful; in between, about
      ``(1 - similarity) * num_classes`` classes are permuted (none at 1, and the permuted
      classes only grow as similarity falls).

    For the same ``seed``, targets at different similarities draw the same shapes (position,
    size, rotation jitter) and differ only in the shifted factors. Source and target use
    separate random streams, so they never share an image.

    Args:
        similarity: 1.0 (identical domains) to 0.0 (strongly shifted).
        n_per_class_source: source images per class.
        n_per_class_target: target images per class.
        image_size: height and width in pixels.
        channels: 1 or 3.
        num_classes: number of shape classes (2-10).
        seed: random seed (>= 0).
        shift: which factors move with similarity: any of :data:`SHIFT_FACTORS` (a single
            name is accepted too).

    Returns:
        ``(source, target)`` :class:`~tl_helpers.data.ImageDataset` s, named ``"source"`` and
        ``"target (similarity=...)"``. With ``"labels"`` shifted, ``target.class_names``
        tells which shape each target label draws.

    Raises:
        TypeError: ``similarity`` is not a number, or an integer argument is not one.
        ValueError: ``similarity`` is outside [0, 1], a ``shift`` name is unknown (with a
            "Did you mean ...?" suggestion) or another argument is out of range.

    Example:
        >>> src, tgt = make_domain_pair(0.0, 5, 5, shift=["colour"])
        >>> int(src.x.mean()) < int(tgt.x.mean())
        True
        >>> _, tgt = make_domain_pair(0.0, 2, 2, num_classes=3, shift="labels")
        >>> tgt.class_names != ['circle', 'square', 'triangle']
        True
    """
    similarity = _check_similarity(similarity)
    shift = _check_shift(shift)
    check_int("n_per_class_source", n_per_class_source, minimum=1)
    check_int("n_per_class_target", n_per_class_target, minimum=1)
    _check_common(image_size, channels, num_classes, seed)
    common = dict(image_size=image_size, channels=channels, num_classes=num_classes, seed=seed)
    source = _draw(DomainSpec(), n_per_class_source, name="source", domain=0, **common)
    target = _target(similarity, shift, n_per_class_target, common)
    return source, target


def _target(similarity, shift, n_per_class, common) -> ImageDataset:
    spec = _target_spec(similarity, shift, common["num_classes"], common["seed"])
    return _draw(spec, n_per_class, name=f"target (similarity={similarity:g})", domain=1,
                 **common)


def similarity_sweep(
    values: Iterable[float] = (1.0, 0.75, 0.5, 0.25, 0.0),
    n_per_class_source: int = 200,
    n_per_class_target: int = 50,
    **kwargs: Any,
) -> Iterator[tuple[float, ImageDataset, ImageDataset]]:
    """Yield ``(similarity, source, target)`` for each similarity in ``values``.

    The same as calling :func:`make_domain_pair` for each value, but the source is drawn
    once (it is the same dataset object every step) and every argument is checked before
    the first step.

    Args:
        values: similarities, each between 0 and 1.
        n_per_class_source: source images per class.
        n_per_class_target: target images per class.
        **kwargs: any keyword argument of :func:`make_domain_pair` (``image_size``,
            ``channels``, ``num_classes``, ``seed``, ``shift``).

    Returns:
        An iterator of ``(similarity, source, target)`` tuples.

    Raises:
        TypeError, ValueError: as :func:`make_domain_pair`, raised at the call.

    Example:
        >>> for s, source, target in similarity_sweep([1.0, 0.0], 2, 2, num_classes=2):
        ...     print(s, len(source), len(target))
        1.0 4 4
        0.0 4 4
    """
    allowed = {"image_size", "channels", "num_classes", "seed", "shift"}
    for key in kwargs:
        check_choice("kwargs", key, sorted(allowed))
    values = [_check_similarity(v) for v in values]
    shift = _check_shift(kwargs.pop("shift", ("rotation", "colour", "background", "noise")))
    check_int("n_per_class_source", n_per_class_source, minimum=1)
    check_int("n_per_class_target", n_per_class_target, minimum=1)
    common = dict(image_size=config.IMAGE_SIZE, channels=3, num_classes=10, seed=config.SEED)
    common.update(kwargs)
    _check_common(**common)

    def steps():
        source = _draw(DomainSpec(), n_per_class_source, name="source", domain=0, **common)
        for value in values:
            yield value, source, _target(value, shift, n_per_class_target, common)

    return steps()
