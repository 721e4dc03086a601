"""Drawing of the synthetic domains of :mod:`tl_helpers.domains`: stroke-drawn shapes.

Private: use :func:`tl_helpers.domains.make_domain`. Here are the shapes, the checks of the
drawing arguments (the numbers and colours of a spec, image size, channels, classes, seed) and
the renderer. The shapes are anti-aliased strokes with a random position, size and rotation
per image, over a plain, noisy or striped background. The random draws are split into
independent streams (shape geometry, background, noise, order), so two specs with the same
seed draw the *same shapes* and differ only in how they look.

Example:
    >>> from tl_helpers.domains import DomainSpec
    >>> ds = _draw(DomainSpec(), 2, image_size=16, channels=1, num_classes=3, seed=0,
    ...            name="tiny", domain=0)
    >>> ds.x.shape, ds.class_names
    ((6, 16, 16, 1), ['circle', 'square', 'triangle'])
"""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np

from tl_helpers._validation import check_choice, check_int
from tl_helpers.data import ImageDataset

if TYPE_CHECKING:
    from tl_helpers.domains import DomainSpec

__all__ = ["SHAPE_CLASSES"]

#: The shape kinds, one per class (a label draws ``SHAPE_CLASSES[label]`` unless permuted).
SHAPE_CLASSES: tuple[str, ...] = (
    "circle", "square", "triangle", "cross", "plus", "line", "arc", "zigzag", "chevron",
    "spiral",
)

# Independent random streams (see SeedSequence spawn keys in _rng).
_GEOMETRY, _BACKGROUND, _NOISE, _ORDER = range(4)


def _polylines(kind: str) -> list[np.ndarray]:
    """Strokes of a shape in unit coordinates (x, y in -1..1, y down), as lists of points."""
    if kind == "circle":
        t = np.linspace(0, 2 * np.pi, 17)
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
        half = np.linspace(0, np.pi, 11)
        return [0.65 * np.stack([np.cos(half), np.sin(half) - 0.3], 1)]
    if kind == "zigzag":
        return [np.array([[-0.7, 0.3], [-0.35, -0.3], [0.0, 0.3], [0.35, -0.3], [0.7, 0.3]])]
    if kind == "chevron":
        return [np.array([[-0.5, -0.6], [0.4, 0.0], [-0.5, 0.6]])]
    if kind == "spiral":
        s = np.linspace(0, 3 * np.pi, 31)
        r = 0.1 + 0.6 * s / s[-1]
        return [np.stack([r * np.cos(s), r * np.sin(s)], 1)]
    raise AssertionError(kind)  # pragma: no cover - SHAPE_CLASSES and this function agree


_SEGMENTS = {
    kind: np.concatenate([np.stack([p[:-1], p[1:]], 1) for p in _polylines(kind)])
    for kind in SHAPE_CLASSES
}  # kind -> (num_segments, 2 endpoints, 2 coordinates)


# ---------------------------------------------------------------- checks of drawing arguments
def _number(name: str, value, low: float | None = None, high: float | None = None,
            *, low_open: bool = False) -> float:
    """Return ``value`` as a float, or raise naming the argument and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise TypeError(f"Argument `{name}` must be a finite number. Received: {name}={value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        if high is None:
            rule = f"> {low}" if low_open else f">= {low}"
        else:
            rule = f"between {low} and {high}"
        raise ValueError(f"Argument `{name}` must be {rule}. Received: {name}={value!r}")
    return float(value)


def _rgb(name: str, value) -> tuple[int, int, int]:
    try:
        colour = tuple(value)
    except TypeError:
        colour = None
    if (
        colour is None
        or len(colour) != 3
        or not all(isinstance(c, Real) and not isinstance(c, bool) and 0 <= c <= 255
                   for c in colour)
    ):
        raise ValueError(
            f"Argument `{name}` must be an RGB triple of values 0-255, e.g. (255, 200, 0). "
            f"Received: {name}={value!r}"
        )
    return tuple(int(round(c)) for c in colour)


def _check_common(image_size, channels, num_classes, seed) -> None:
    check_int("image_size", image_size, minimum=8)
    check_choice("channels", channels, (1, 3))
    check_int("num_classes", num_classes, minimum=2)
    if num_classes > len(SHAPE_CLASSES):
        raise ValueError(
            f"Argument `num_classes` must be <= {len(SHAPE_CLASSES)} (one per shape in "
            f"SHAPE_CLASSES). Received: num_classes={num_classes}"
        )
    check_int("seed", seed, minimum=0)


# ------------------------------------------------------------------------------- drawing
def _rng(seed: int, domain: int, stream: int, label: int = 0) -> np.random.Generator:
    """Independent generator per (seed, domain, stream, class): fixed-length spawn keys."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(domain, stream, label)))


def _stroke_alpha(kind: str, n: int, image_size: int, spec: DomainSpec,
                  rng: np.random.Generator) -> np.ndarray:
    """Anti-aliased stroke coverage (n, size, size) in 0..1 of randomly placed shapes.

    The coverage of a pixel is 1 inside the stroke and falls linearly to 0 over one pixel at
    its edge (distance from the pixel centre to the nearest segment), which anti-aliases.
    """
    # geometry draws first, in a fixed order: they never depend on the rest of the spec
    jitter = rng.uniform(-1, 1, n)
    size = rng.uniform(0.8, 1.1, n)
    offset = rng.uniform(-0.1, 0.1, (n, 2))
    angle = np.deg2rad(spec.rotation + jitter * spec.rotation_jitter)
    scale = spec.scale * size * image_size / 2 * 0.95
    centre = image_size / 2 + offset * image_size
    # y points down in images, so rotate by -angle to turn counter-clockwise on screen
    cos, sin = np.cos(angle), -np.sin(angle)
    seg = _SEGMENTS[kind]  # (S, 2, 2)
    x = seg[None, :, :, 0] * cos[:, None, None] - seg[None, :, :, 1] * sin[:, None, None]
    y = seg[None, :, :, 0] * sin[:, None, None] + seg[None, :, :, 1] * cos[:, None, None]
    x = (x * scale[:, None, None] + centre[:, None, None, 0]).astype(np.float32)
    y = (y * scale[:, None, None] + centre[:, None, None, 1]).astype(np.float32)
    ax, ay = x[..., 0, None], y[..., 0, None]  # (n, S, 1): segment starts
    abx, aby = x[..., 1, None] - ax, y[..., 1, None] - ay
    inv_len2 = 1.0 / np.maximum(abx * abx + aby * aby, 1e-6)
    pix = np.arange(image_size, dtype=np.float32) + 0.5
    gx = np.tile(pix, image_size)  # (P,) pixel centres, row-major
    gy = np.repeat(pix, image_size)
    d2 = np.empty((n, image_size * image_size), np.float32)
    step = max(1, 60_000 // (len(seg) * image_size * image_size))  # keeps arrays in cache
    for i in range(0, n, step):
        s = slice(i, i + step)
        px, py = gx - ax[s], gy - ay[s]  # (step, S, P)
        t = np.clip((px * abx[s] + py * aby[s]) * inv_len2[s], 0, 1)
        px -= t * abx[s]
        py -= t * aby[s]
        px *= px
        py *= py
        px += py
        px.min(axis=1, out=d2[s])
    width = spec.stroke_width * image_size / 32
    alpha = np.clip(width / 2 + 0.5 - np.sqrt(d2), 0, 1)
    return alpha.reshape(n, image_size, image_size)


def _background(n: int, image_size: int, spec: DomainSpec,
                rng: np.random.Generator) -> np.ndarray:
    """Background images (n, size, size, 3) as float32 0-255."""
    base = np.broadcast_to(np.array(spec.background, np.float32), (n, image_size, image_size, 3))
    if spec.background_kind == "plain" or spec.texture_strength == 0:
        return base.copy()
    colour = rng.uniform(0, 255, (n, 1, 1, 3)).astype(np.float32)  # one colour per image
    if spec.background_kind == "texture":  # random oriented stripes (a grating)
        theta = rng.uniform(0, np.pi, n)[:, None, None]
        period = rng.uniform(4, 12, n)[:, None, None] * image_size / 32
        phase = rng.uniform(0, 2 * np.pi, n)[:, None, None]
        yy, xx = np.mgrid[:image_size, :image_size]
        pattern = np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period + phase)
    else:  # smooth random blotches
        from skimage.filters import gaussian

        raw = rng.standard_normal((n, image_size, image_size))
        pattern = gaussian(raw, sigma=(0, image_size / 10, image_size / 10))
        pattern /= np.abs(pattern).max(axis=(1, 2), keepdims=True) + 1e-9
    mix = (spec.texture_strength * (0.5 + 0.5 * pattern[..., None])).astype(np.float32)
    return base * (1 - mix) + colour * mix


def _draw(spec: DomainSpec, n_per_class: int, image_size: int, channels: int,
          num_classes: int, seed: int, name: str, domain: int) -> ImageDataset:
    """Draw a domain (arguments already validated); ``domain`` keys the random streams."""
    perm = spec.label_permutation or tuple(range(num_classes))
    xs, ys = [], []
    foreground = np.array(spec.foreground, np.float32)
    for label in range(num_classes):
        kind = SHAPE_CLASSES[perm[label]]
        alpha = _stroke_alpha(kind, n_per_class, image_size, spec,
                              _rng(seed, domain, _GEOMETRY, label))[..., None]
        images = _background(n_per_class, image_size, spec,
                             _rng(seed, domain, _BACKGROUND, label))
        xs.append(images * (1 - alpha) + foreground * alpha)
        ys.append(np.full(n_per_class, label, np.int64))
    x = np.concatenate(xs)
    if spec.blur:
        from skimage.filters import gaussian

        x = gaussian(x, sigma=(0, spec.blur, spec.blur), channel_axis=-1, preserve_range=True)
    if spec.noise_std:
        noise = _rng(seed, domain, _NOISE).standard_normal(x.shape, dtype=np.float32)
        x = x + spec.noise_std * noise
    if spec.invert:
        x = 255 - x
    x = np.clip(np.round(x), 0, 255).astype(np.uint8)
    if channels == 1:
        gray = x @ np.array([0.299, 0.587, 0.114], np.float32)
        x = np.clip(np.round(gray), 0, 255).astype(np.uint8)[..., None]
    order = _rng(seed, domain, _ORDER).permutation(len(x))
    names = [SHAPE_CLASSES[perm[label]] for label in range(num_classes)]
    return ImageDataset(x[order], np.concatenate(ys)[order], names, name)

