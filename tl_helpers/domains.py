"""Synthetic domains: stroke-drawn shapes whose look is a parameter, for controlled experiments.

Real datasets give one fixed source-target pair. Here the source and target domains are drawn
from the same 10 shape classes (circle, square, ..., spiral) and the *difference* between them
is a dial: rotation, colours, background texture, pixel noise, stroke width, and even the
meaning of the labels. Sweeping :func:`make_domain_pair`'s ``similarity`` from 1 to 0 shows
transfer turning from helpful to harmful (negative transfer) and creates domain shift on demand.

Example:
    >>> source, target = make_domain_pair(similarity=0.5, n_per_class_source=20,
    ...                                   n_per_class_target=5)
    >>> source.x.shape, target.x.shape
    ((200, 32, 32, 3), (50, 32, 32, 3))
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tl_helpers import config
from tl_helpers._validation import check_choice, check_int, suggest
from tl_helpers.data import ImageDataset

__all__ = ["SHAPE_CLASSES", "SHIFT_FACTORS", "DomainSpec", "make_domain", "make_domain_pair"]

#: The shape kinds, one per class (a label draws ``SHAPE_CLASSES[label]`` unless permuted).
SHAPE_CLASSES: tuple[str, ...] = (
    "circle", "square", "triangle", "cross", "plus", "line", "arc", "zigzag", "chevron",
    "spiral",
)

#: What :func:`make_domain_pair` can shift between source and target.
SHIFT_FACTORS: tuple[str, ...] = ("rotation", "colour", "background", "noise", "stroke", "labels")


def _polylines(kind: str) -> list[np.ndarray]:
    """Strokes of a shape in unit coordinates (x, y in -1..1), as lists of points."""
    t = np.linspace(0, 2 * np.pi, 25)
    if kind == "circle":
        return [0.65 * np.stack([np.cos(t), np.sin(t)], 1)]
    if kind == "square":
        return [np.array([[-0.6, -0.6], [0.6, -0.6], [0.6, 0.6], [-0.6, 0.6], [-0.6, -0.6]])]
    if kind == "triangle":
        return [np.array([[0.0, -0.7], [0.65, 0.55], [-0.65, 0.55], [0.0, -0.7]])]
    if kind == "cross":
        return [np.array([[-0.6, -0.6], [0.6, 0.6]]), np.array([[-0.6, 0.6], [0.6, -0.6]])]
    if kind == "plus":
        return [np.array([[-0.7, 0.0], [0.7, 0.0]]), np.array([[0.0, -0.7], [0.0, 0.7]])]
    if kind == "line":
        return [np.array([[-0.75, 0.0], [0.75, 0.0]])]
    if kind == "arc":
        half = np.linspace(0, np.pi, 13)
        return [0.65 * np.stack([np.cos(half), np.sin(half) - 0.3], 1)]
    if kind == "zigzag":
        return [np.array([[-0.7, 0.3], [-0.35, -0.3], [0.0, 0.3], [0.35, -0.3], [0.7, 0.3]])]
    if kind == "chevron":
        return [np.array([[-0.5, -0.6], [0.4, 0.0], [-0.5, 0.6]])]
    # spiral
    s = np.linspace(0, 3 * np.pi, 40)
    r = 0.1 + 0.6 * s / s[-1]
    return [np.stack([r * np.cos(s), r * np.sin(s)], 1)]


_SEGMENTS = {
    kind: np.concatenate([np.stack([p[:-1], p[1:]], 1) for p in _polylines(kind)])
    for kind in SHAPE_CLASSES
}  # kind -> (num_segments, 2 endpoints, 2 coordinates)


@dataclasses.dataclass(frozen=True)
class DomainSpec:
    """How the images of one domain look.

    Attributes:
        rotation: degrees added to every shape.
        rotation_jitter: random rotation per image, uniform in +-``rotation_jitter`` degrees.
        stroke_width: stroke width in pixels at 32x32 (scaled with ``image_size``).
        scale: shape size relative to the image (1.0 fills about 70% of it).
        foreground: stroke colour, RGB 0-255.
        background: background colour, RGB 0-255.
        background_kind: ``"plain"``, ``"noise"`` (smooth random blotches) or ``"texture"``
            (random oriented stripes).
        texture_strength: how strongly the noise/texture shows, 0-1.
        noise_std: standard deviation of per-pixel Gaussian noise (0-255 scale).
        blur: Gaussian blur sigma in pixels (0 = sharp).
        invert: swap dark and light (255 - pixel) after drawing.
        label_permutation: optional tuple; label ``i`` draws shape
            ``SHAPE_CLASSES[label_permutation[i]]`` (same pictures, different meaning).

    Example:
        >>> DomainSpec(rotation=90, background_kind="texture").rotation
        90
    """

    rotation: float = 0.0
    rotation_jitter: float = 15.0
    stroke_width: float = 1.5
    scale: float = 1.0
    foreground: tuple[int, int, int] = (255, 255, 255)
    background: tuple[int, int, int] = (0, 0, 0)
    background_kind: str = "plain"
    texture_strength: float = 0.0
    noise_std: float = 0.0
    blur: float = 0.0
    invert: bool = False
    label_permutation: tuple[int, ...] | None = None

    def __post_init__(self):
        check_choice("background_kind", self.background_kind, ("plain", "noise", "texture"))
        for name in ("foreground", "background"):
            colour = getattr(self, name)
            if len(colour) != 3 or not all(0 <= c <= 255 for c in colour):
                raise ValueError(
                    f"Argument `{name}` must be an RGB triple of values 0-255. "
                    f"Received: {name}={colour!r}"
                )
        for name, low, high in (("texture_strength", 0, 1), ("scale", 0.05, 2.0)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(
                    f"Argument `{name}` must be between {low} and {high}. "
                    f"Received: {name}={value!r}"
                )
        for name in ("stroke_width", "noise_std", "blur", "rotation_jitter"):
            if getattr(self, name) < 0:
                raise ValueError(
                    f"Argument `{name}` must be >= 0. Received: {name}={getattr(self, name)!r}"
                )
        perm = self.label_permutation
        if perm is not None and sorted(perm) != list(range(len(perm))):
            raise ValueError(
                "Argument `label_permutation` must be a permutation of 0..num_classes-1. "
                f"Received: label_permutation={perm!r}"
            )


def _stroke_alpha(kind, n, image_size, spec, rng) -> np.ndarray:
    """Anti-aliased stroke coverage (n, size, size) in 0..1 of randomly placed shapes."""
    segments = _SEGMENTS[kind]
    angle = np.deg2rad(spec.rotation + rng.uniform(-1, 1, n) * spec.rotation_jitter)
    scale = spec.scale * rng.uniform(0.8, 1.1, n) * image_size / 2 * 0.95
    shift = image_size / 2 + rng.uniform(-0.12, 0.12, (n, 2)) * image_size
    cos, sin = np.cos(angle), np.sin(angle)
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # (n, 2, 2)
    pts = np.einsum("nij,skj->nski", rot, segments) * scale[:, None, None, None]
    pts = pts + shift[:, None, None, :]  # (n, segments, 2, 2) in pixels
    a, b = pts[:, :, 0], pts[:, :, 1]
    grid = np.stack(np.meshgrid(np.arange(image_size), np.arange(image_size)), -1) + 0.5
    grid = grid.reshape(1, 1, -1, 2)  # (1, 1, pixels, 2) as (x, y)
    ab = (b - a)[:, :, None, :]
    ap = grid - a[:, :, None, :]
    t = np.clip((ap * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9), 0, 1)
    dist = np.linalg.norm(ap - t[..., None] * ab, axis=-1).min(axis=1)  # (n, pixels)
    width = spec.stroke_width * image_size / 32
    alpha = np.clip(width / 2 + 0.5 - dist, 0, 1)
    return alpha.reshape(n, image_size, image_size)


def _background(n, image_size, spec, rng) -> np.ndarray:
    """Background images (n, size, size, 3) as floats 0-255."""
    base = np.broadcast_to(np.array(spec.background, np.float32), (n, image_size, image_size, 3))
    if spec.background_kind == "plain" or spec.texture_strength == 0:
        return base.copy()
    if spec.background_kind == "texture":  # random oriented stripes
        theta = rng.uniform(0, np.pi, n)[:, None, None]
        freq = rng.uniform(0.15, 0.45, n)[:, None, None]
        phase = rng.uniform(0, 2 * np.pi, n)[:, None, None]
        yy, xx = np.mgrid[:image_size, :image_size]
        pattern = np.sin(freq * (xx * np.cos(theta) + yy * np.sin(theta)) * 2 + phase)
    else:  # smooth random blotches
        from scipy.ndimage import gaussian_filter

        raw = rng.standard_normal((n, image_size, image_size))
        pattern = gaussian_filter(raw, sigma=(0, image_size / 10, image_size / 10))
        pattern /= np.abs(pattern).max(axis=(1, 2), keepdims=True) + 1e-9
    colour = rng.uniform(0, 255, (n, 1, 1, 3))  # each image gets its own texture colour
    mix = spec.texture_strength * (0.5 + 0.5 * pattern[..., None])
    return base * (1 - mix) + colour * mix


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
        image_size: height and width in pixels.
        channels: 1 or 3.
        num_classes: how many of :data:`SHAPE_CLASSES` to use (2-10).
        seed: random seed (same seed, same images).
        name: the dataset's name.

    Returns:
        An :class:`~tl_helpers.data.ImageDataset` of ``uint8`` images, shuffled.

    Example:
        >>> ds = make_domain(DomainSpec(rotation=45), n_per_class=3, num_classes=4)
        >>> ds.x.shape, ds.class_names
        ((12, 32, 32, 3), ['circle', 'square', 'triangle', 'cross'])
    """
    spec = DomainSpec() if spec is None else spec
    if not isinstance(spec, DomainSpec):
        raise TypeError(
            f"Argument `spec` must be a DomainSpec or None. Received: spec of type "
            f"{type(spec).__name__}"
        )
    check_int("n_per_class", n_per_class, minimum=1)
    check_int("image_size", image_size, minimum=8)
    check_choice("channels", channels, (1, 3))
    check_int("num_classes", num_classes, minimum=2)
    if num_classes > len(SHAPE_CLASSES):
        raise ValueError(
            f"Argument `num_classes` must be <= {len(SHAPE_CLASSES)}. "
            f"Received: num_classes={num_classes}"
        )
    perm = spec.label_permutation or tuple(range(num_classes))
    if len(perm) != num_classes:
        raise ValueError(
            f"`label_permutation` must have num_classes={num_classes} entries. "
            f"Received: label_permutation={perm!r}"
        )
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label in range(num_classes):
        kind = SHAPE_CLASSES[perm[label]]
        alpha = np.concatenate([  # in chunks, to keep memory small
            _stroke_alpha(kind, min(64, n_per_class - i), image_size, spec, rng)
            for i in range(0, n_per_class, 64)
        ])[..., None]
        images = _background(n_per_class, image_size, spec, rng) * (1 - alpha)
        images += np.array(spec.foreground, np.float32) * alpha
        xs.append(images)
        ys.append(np.full(n_per_class, label, np.int64))
    x = np.concatenate(xs)
    if spec.blur:
        from scipy.ndimage import gaussian_filter

        x = gaussian_filter(x, sigma=(0, spec.blur, spec.blur, 0))
    if spec.noise_std:
        x = x + rng.normal(0, spec.noise_std, x.shape)
    if spec.invert:
        x = 255 - x
    x = np.clip(np.round(x), 0, 255).astype(np.uint8)
    if channels == 1:
        x = np.round(x @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)[..., None]
    order = rng.permutation(len(x))
    names = [SHAPE_CLASSES[perm[label]] for label in range(num_classes)]
    return ImageDataset(x[order], np.concatenate(ys)[order], names, name)


def _target_spec(similarity: float, shift: tuple[str, ...], num_classes: int, rng) -> DomainSpec:
    t = 1.0 - similarity  # 0 = identical, 1 = as different as it gets
    kwargs: dict = {}
    if "rotation" in shift:
        kwargs["rotation"] = 180.0 * t
    if "colour" in shift:
        kwargs["foreground"] = tuple(int(round(255 + (c - 255) * t)) for c in (250, 200, 30))
        kwargs["background"] = tuple(int(round(c * t)) for c in (40, 70, 160))
    if "background" in shift and t > 0:
        kwargs.update(background_kind="texture", texture_strength=t)
    if "noise" in shift:
        kwargs["noise_std"] = 60.0 * t
    if "stroke" in shift:
        kwargs["stroke_width"] = 1.5 + 2.5 * t
    if "labels" in shift:
        k = int(round(t * num_classes))
        perm = list(range(num_classes))
        if k >= 2:
            chosen = rng.choice(num_classes, k, replace=False)
            perm_values = np.roll(chosen, 1)  # a cycle: every chosen class changes meaning
            for c, v in zip(chosen, perm_values, strict=True):
                perm[c] = int(v)
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
    shift: tuple[str, ...] | list[str] = ("rotation", "colour", "background", "noise"),
) -> tuple[ImageDataset, ImageDataset]:
    """A source domain and a target domain whose similarity is ``similarity``.

    The source is the clean default domain (white strokes on black). The target moves away
    from it as ``similarity`` goes from 1 (same distribution, new images) to 0, along the
    factors named in ``shift``. At ``similarity=0``:

    * ``"rotation"``: every shape is turned by 180 degrees;
    * ``"colour"``: yellow strokes on a dark blue background;
    * ``"background"``: random coloured stripes at full strength behind the shapes;
    * ``"noise"``: per-pixel Gaussian noise with standard deviation 60;
    * ``"stroke"``: strokes 4 pixels wide instead of 1.5;
    * ``"labels"``: every class label points to another shape (same pictures, other meaning),
      which makes transfer genuinely harmful (in between, a fraction of the classes).

    Args:
        similarity: 1.0 (identical domains) to 0.0 (strongly shifted).
        n_per_class_source: source images per class.
        n_per_class_target: target images per class.
        image_size: height and width in pixels.
        channels: 1 or 3.
        num_classes: number of shape classes (2-10).
        seed: random seed; source and target never share an image.
        shift: which factors move with similarity (any of :data:`SHIFT_FACTORS`).

    Returns:
        ``(source, target)`` :class:`~tl_helpers.data.ImageDataset` s.

    Example:
        >>> src, tgt = make_domain_pair(0.0, 5, 5, shift=["colour"])
        >>> int(src.x.mean()) < int(tgt.x.mean())
        True
    """
    if isinstance(similarity, bool) or not isinstance(similarity, (int, float, np.floating)):
        raise TypeError(f"Argument `similarity` must be a number. Received: {similarity!r}")
    if not 0.0 <= similarity <= 1.0:
        raise ValueError(
            f"Argument `similarity` must be between 0 and 1. Received: similarity={similarity!r}"
        )
    shift = tuple([shift] if isinstance(shift, str) else shift)
    for factor in shift:
        if factor not in SHIFT_FACTORS:
            raise ValueError(
                f"Unknown shift factor.{suggest(factor, SHIFT_FACTORS)} Allowed: "
                f"{', '.join(SHIFT_FACTORS)}. Received: shift={list(shift)!r}"
            )
    rng = np.random.default_rng(seed + 7919)
    common = dict(image_size=image_size, channels=channels, num_classes=num_classes)
    source = make_domain(None, n_per_class_source, seed=seed, name="source", **common)
    target = make_domain(
        _target_spec(float(similarity), shift, num_classes, rng),
        n_per_class_target, seed=seed + 1_000_003, name=f"target (similarity={similarity:g})",
        **common,
    )
    return source, target
