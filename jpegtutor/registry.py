"""The method registry: every way this package turns an image into a real JPEG file, and every decoder.

It sits at the bottom of the package and imports nothing of it (``tests/test_layers.py`` checks);
each method registers itself from its own module, and the front ends (``eval``, ``preedit``, the
benchmark, the chapters) look methods up here by name.

Three kinds of method produce bytes at an *operating point* (a JPEG quality today; a lambda or a
table set for later methods):

- an **encoder** (``kind="encoder"``): ``encode(image, point, subsampling) -> bytes``, e.g.
  libjpeg through Pillow, mozjpeg, jpegli;
- a **coefficient editor** (``kind="coefficient-editor"``): the same signature, but it chooses the
  DCT coefficients or tables itself and writes them with ``jpeg.write_coefficients``;
- a **pixel editor** (:class:`Editor`): ``edit(image, point, subsampling) -> edited image``, handed
  to any encoder. ``"talebi+mozjpeg"`` names the editor's output encoded by mozjpeg; ``"talebi"``
  alone uses the editor's default encoder.

Images are NumPy ``uint8 (H, W, 3)`` everywhere here. Adding a method is one call in its own
module, e.g. ``registry.register_editor(Editor("talebi", "...", load=_load, trained_range=(8, 25)))``,
and one line in :data:`PROVIDERS` (or a ``jpegtutor.methods`` entry point in another package).
"""

from __future__ import annotations

import importlib
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["DECODERS", "EDITORS", "ENCODERS", "PROVIDERS", "Decoder", "Editor", "Encoder", "Method",
           "OutsideTrainedRangeWarning", "describe", "get_decoder", "get_encoder", "get_method", "method_names", "register_decoder",
           "register_editor", "register_encoder"]

# Modules that register the built-in methods when first needed (names, not imports: this module
# imports nothing of jpegtutor). Other packages add theirs with a ``jpegtutor.methods`` entry point.
PROVIDERS = ("jpegtutor.jpeg.encoders", "jpegtutor.editors", "jpegtutor.tables", "jpegtutor.neuralop")
DEFAULT_QUALITIES = (5, 10, 20, 30, 40, 50, 60, 70, 80, 90)


class OutsideTrainedRangeWarning(UserWarning):
    """A learned method was asked for an operating point outside the range it was trained on."""


@dataclass(frozen=True)
class Encoder:
    """A method that writes JPEG bytes itself: ``encode(image uint8 (H, W, 3), point, subsampling) -> bytes``.

    ``settings``: what the encoder does, recorded in every result (library and version, Huffman
    tables, progressive, tables). ``missing()``: ``None`` when usable, else why not and how to
    install it. ``kind``: ``"encoder"`` or ``"coefficient-editor"``; ``takes_pixels``: a coefficient
    editor that reads the image like an encoder (so a pixel editor's output can feed it, as in
    ``talebi+trellis``); encoders always do. ``train``, ``profiles``, ``options``: the recipe of a
    learned coefficient editor (``jpegtutor train NAME``), as for :class:`Editor`. ``encode_per_image``:
    a learned coefficient editor that can optimize itself on the one image it writes,
    ``(image, point, subsampling, steps) -> bytes`` (``jpegtutor preedit --per-image-steps``).
    ``weights``: a learned method's zoo name (the benchmark counts its parameters).
    """

    name: str
    description: str
    encode: Callable[[Any, Any, str], bytes]
    settings: dict = field(default_factory=dict)
    kind: str = "encoder"
    point: str = "quality"
    points: tuple = DEFAULT_QUALITIES
    point_range: tuple = (1, 100)
    trained_range: tuple | None = None
    subsamplings: tuple = ("4:4:4", "4:2:2", "4:2:0")
    missing: Callable[[], str | None] = lambda: None
    takes_pixels: bool = False
    train: Callable | None = None  # a learned coefficient editor's recipe, as Editor.train
    profiles: tuple = ()
    options: dict = field(default_factory=dict)
    encode_per_image: Callable | None = None
    weights: str | None = None  # the zoo name of its shipped weights (one of them, for one model per operating point)


@dataclass(frozen=True)
class Editor:
    """A pixel pre-editor: ``load(checkpoint or None) -> edit(image uint8 (H, W, 3), point, subsampling, **options)``
    returning the edited ``uint8 (H, W, 3)``; its output goes to an encoder (``encoder``: the default).

    ``trained_range``: the operating points it was trained on (outside them :class:`Method` warns).
    ``train``: the training recipe, ``train(out, profile, max_steps, seed, resume, overwrite=False, **options)``
    with ``profiles`` its profile names and ``options`` its ``--set`` options and defaults;
    ``build() -> (model, loss)`` its training step's model and loss, and ``step_settings`` the
    :class:`~jpegtutor.train.TrainConfig` fields of a typical CPU run (what ``jpegtutor bench train --recipe`` times).
    ``missing()``: ``None`` when its shipped weights are there, else why not and how to make them
    (a method with a ``checkpoint`` of its own does not need them).
    """

    name: str
    description: str
    load: Callable[[Any], Callable]
    encoder: str = "libjpeg-optimized"
    point: str = "quality"
    points: tuple = DEFAULT_QUALITIES
    point_range: tuple = (1, 100)
    trained_range: tuple | None = None
    train: Callable | None = None
    profiles: tuple = ()
    options: dict = field(default_factory=dict)
    weights: str | None = None
    build: Callable | None = None
    step_settings: dict = field(default_factory=dict)
    missing: Callable[[], str | None] = lambda: None  # why its shipped weights cannot be used here (None: they can)


@dataclass(frozen=True)
class Decoder:
    """``decode(bytes) -> uint8 (H, W, 3)``. A learned decoder also has ``missing()`` (``None`` when
    its weights are there), ``weights`` (its zoo name) and a recipe (``train``, ``profiles``,
    ``options``, ``build``, ``step_settings``, as for :class:`Editor`)."""

    name: str
    description: str
    decode: Callable[[bytes], Any]
    missing: Callable[[], str | None] = lambda: None
    weights: str | None = None
    train: Callable | None = None
    profiles: tuple = ()
    options: dict = field(default_factory=dict)
    build: Callable | None = None
    step_settings: dict = field(default_factory=dict)


ENCODERS: dict[str, Encoder] = {}
EDITORS: dict[str, Editor] = {}
DECODERS: dict[str, Decoder] = {}
_loaded = False


def register_encoder(spec: Encoder) -> Encoder:
    """Add an encoder or coefficient editor (replacing one of the same name)."""
    if "+" in spec.name:
        raise ValueError(f"method names cannot contain '+': {spec.name!r}")
    ENCODERS[spec.name] = spec
    return spec


def register_editor(spec: Editor) -> Editor:
    """Add a pixel editor (replacing one of the same name)."""
    if "+" in spec.name:
        raise ValueError(f"editor names cannot contain '+': {spec.name!r}")
    EDITORS[spec.name] = spec
    return spec


def register_decoder(spec: Decoder) -> Decoder:
    DECODERS[spec.name] = spec
    return spec


def _load_providers() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in PROVIDERS:
        importlib.import_module(module)
    try:
        from importlib.metadata import entry_points

        for entry in entry_points(group="jpegtutor.methods"):
            entry.load()
    except Exception as exc:  # a broken third-party plugin must not break the built-in methods
        warnings.warn(f"a jpegtutor.methods entry point failed to load: {exc}", stacklevel=2)


def method_names() -> list[str]:
    """Every registered method: encoders and coefficient editors, then each pixel editor with its default encoder."""
    _load_providers()
    return sorted(ENCODERS) + sorted(EDITORS)


class Method:
    """A resolved method: ``method.encode(image uint8 (H, W, 3), point, subsampling) -> JPEG bytes``.

    For ``"EDITOR+ENCODER"`` the editor's output is handed to the encoder at the same operating
    point. The editor's weights are loaded once per ``Method`` (``checkpoint``: default the shipped ones).
    ``edits``: a dict shared between methods of the same editor and checkpoint that keeps each edited
    image, so handing one editor's output to several encoders edits each image once.
    """

    def __init__(self, name: str, checkpoint=None, edits: dict | None = None, **edit_options):
        _load_providers()
        editor_name, _, encoder_name = name.partition("+")
        self.editor = None
        if editor_name in EDITORS:
            self.editor = EDITORS[editor_name]
            encoder_name = encoder_name or self.editor.encoder
        elif encoder_name:
            raise ValueError(f"unknown editor {editor_name!r} in {name!r}; editors: {sorted(EDITORS) or 'none'}")
        else:
            encoder_name = editor_name
        if encoder_name not in ENCODERS:
            raise ValueError(f"unknown method {encoder_name!r}; registered: {', '.join(method_names())} "
                             "(a pixel editor combines with any encoder as EDITOR+ENCODER, e.g. talebi+mozjpeg)")
        self.encoder = ENCODERS[encoder_name]
        if self.editor is not None and self.encoder.kind != "encoder" and not self.encoder.takes_pixels:
            raise ValueError(f"{encoder_name!r} is a {self.encoder.kind}, not an encoder a pixel editor can hand its output to")
        if self.editor is not None and self.editor.point != self.encoder.point:
            a = lambda word: ("an " if word[0] in "aeiou" else "a ") + word  # noqa: E731
            raise ValueError(f"{self.editor.name}'s operating point is {a(self.editor.point)}, {encoder_name}'s is "
                             f"{a(self.encoder.point)}: one operating point cannot serve both")
        if checkpoint is not None and self.editor is None:
            raise ValueError(f"method {name!r} has no weights: --checkpoint applies to pixel editors ({sorted(EDITORS)})")
        problem = self.encoder.missing()
        if problem:
            raise RuntimeError(f"method {encoder_name!r} is not available here: {problem}")
        problem = self.editor.missing() if self.editor is not None and checkpoint is None else None
        if problem:
            raise RuntimeError(f"method {self.editor.name!r} is not available here: {problem}")
        self.name = f"{self.editor.name}+{self.encoder.name}" if self.editor else self.encoder.name
        self.checkpoint = checkpoint
        self.edit_options = edit_options
        self.edits = edits
        self._edit = None
        self.last_edit_seconds, self.last_edit_cached = 0.0, False
        spec = self.editor or self.encoder
        self.kind = "pixel-editor" if self.editor else self.encoder.kind
        self.point, self.points, self.point_range = spec.point, tuple(spec.points), tuple(spec.point_range)
        self.trained_range = spec.trained_range
        self.subsamplings = self.encoder.subsamplings

    def load(self) -> "Method":
        """Load the editor's weights now (fail before a long run starts, not in its middle)."""
        if self.editor is not None and self._edit is None:
            self._edit = self.editor.load(self.checkpoint)
        return self

    def check_point(self, point, warn: bool = True):
        """``point`` as a number in the declared range; a ``ValueError`` outside it, a warning outside the trained range."""
        if isinstance(point, bool) or not isinstance(point, (int, float)) and not hasattr(point, "__index__"):
            raise ValueError(f"{self.point} must be a number, got {point!r}")
        lo, hi = self.point_range
        if not lo <= point <= hi:
            raise ValueError(f"{self.point} must be in {lo}-{hi} for {self.name}, got {point!r}")
        if warn and self.trained_range and not self.trained_range[0] <= point <= self.trained_range[1]:
            warnings.warn(f"{self.name} was trained on {self.point} {self.trained_range[0]}-{self.trained_range[1]}; "
                          f"{self.point} {point} is outside that range and may edit badly", OutsideTrainedRangeWarning,
                          stacklevel=3)
        return point

    def _check_subsampling(self, subsampling: str) -> None:
        if subsampling not in self.subsamplings:
            raise ValueError(f"{self.encoder.name} writes only {', '.join(self.subsamplings)}, not {subsampling}")

    def edit(self, image, point, subsampling: str = "4:2:0"):
        """The image the encoder receives: the editor's output (``uint8 (H, W, 3)``), or ``image`` itself.

        ``last_edit_seconds``: what computing this edit cost (also when it came from ``edits``)."""
        self.last_edit_seconds, self.last_edit_cached = 0.0, False
        if self.editor is None:
            return image
        self.load()
        if self.edits is None:
            start = time.perf_counter()
            edited = self._edit(image, point, subsampling, **self.edit_options)
            self.last_edit_seconds = time.perf_counter() - start
            return edited
        import hashlib

        key = (hashlib.sha1(image.tobytes()).hexdigest(), image.shape, point, subsampling, repr(sorted(self.edit_options.items())))
        if key in self.edits:
            edited, self.last_edit_seconds = self.edits[key]
            self.last_edit_cached = True
            return edited
        start = time.perf_counter()
        edited = self._edit(image, point, subsampling, **self.edit_options)
        self.last_edit_seconds = time.perf_counter() - start
        self.edits[key] = (edited, self.last_edit_seconds)
        return edited

    def encode(self, image, point, subsampling: str = "4:2:0", warn: bool = True) -> bytes:
        """Real JPEG bytes of ``image`` at operating point ``point``."""
        self.check_point(point, warn)
        self._check_subsampling(subsampling)
        return self.encoder.encode(self.edit(image, point, subsampling), point, subsampling)

    def describe(self) -> dict:
        """Name, kind, operating points, ranges and the encoder's settings (what ``jpegtutor methods --json`` prints)."""
        out = {"name": self.name, "kind": self.kind, "description": (self.editor or self.encoder).description,
               "operating_point": self.point, "default_points": list(self.points),
               "point_range": list(self.point_range),
               "trained_range": list(self.trained_range) if self.trained_range else None,
               "subsamplings": list(self.subsamplings), "encoder": self.encoder.name,
               "encoder_settings": dict(self.encoder.settings)}
        if self.editor is not None:
            out["weights"] = self.editor.weights
            out["trainable"] = self.editor.train is not None
        return out


def get_method(name: str, checkpoint=None, edits: dict | None = None, **edit_options) -> Method:
    """The method ``name`` (``"mozjpeg"``, ``"talebi"``, ``"talebi+mozjpeg"``, ...), ready to encode."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"method must be a non-empty name, got {name!r}")
    return Method(name, checkpoint, edits, **edit_options)


def get_encoder(name: str) -> Encoder:
    """The registered encoder (or coefficient editor) ``name``; check ``.missing()`` before use."""
    _load_providers()
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; registered: {sorted(ENCODERS)}")
    return ENCODERS[name]


def get_decoder(name: str = "libjpeg") -> Decoder:
    _load_providers()
    if name not in DECODERS:
        raise ValueError(f"unknown decoder {name!r}; registered: {sorted(DECODERS)}")
    problem = DECODERS[name].missing()
    if problem:
        raise RuntimeError(f"decoder {name!r} is not available here: {problem}")
    return DECODERS[name]


def describe() -> list[dict]:
    """Every registered method (available or not, with the reason) and decoder, as dicts."""
    rows = []
    for name in method_names():
        spec = ENCODERS.get(name)
        problem = spec.missing() if spec is not None else \
            EDITORS[name].missing() or ENCODERS[EDITORS[name].encoder].missing()
        if problem:
            rows.append({"name": name, "kind": spec.kind if spec else "pixel-editor",
                         "description": (spec or EDITORS.get(name)).description, "available": False, "missing": problem})
            continue
        rows.append({**Method(name).describe(), "available": True})
    for d in DECODERS.values():
        problem = d.missing()
        rows.append({"name": d.name, "kind": "decoder", "description": d.description, "available": not problem,
                     **({"missing": problem} if problem else {})})
    return rows
