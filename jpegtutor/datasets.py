"""Datasets by name (``kodak``, ``live1``, ``bsds500-test``, ``train``, ``lpips-check``) or any folder.

Where a named dataset is looked for, in order:

1. an explicit ``root=`` folder;
2. ``$JPEGTUTOR_DATA/<name>``;
3. ``data/<name>`` in the repository checkout;
4. ``../shared/data/<name>`` beside the checkout (or beside the working directory);
5. the download cache (``~/.cache/jpegtutor/data/<name>``);
6. a download from the canonical URL, every file checked against its SHA-256 (Kodak only; never
   when ``$JPEGTUTOR_OFFLINE`` is set).

A missing dataset raises :class:`DatasetNotFoundError` listing every place searched and how to get it.

>>> images = load("kodak")            # 24 uint8 arrays (H, W, 3)
>>> x = jpegtutor.image.to_tensor(images[0])  # (1, 3, 512, 768) float32 in [0, 1]
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .image import read_image
from .resources import PACKAGE_DIR, ResourceNotFoundError, cache_dir, download, offline, repo_root, shared_dirs

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "Dataset",
    "download_dataset",
    "image_paths",
    "locate_or_samples",
    "load",
    "locate",
    "sample_paths",
    "load_sample",
    "verify",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")

KODAK_SHA256 = {
    "kodim01.png": "a56e27cbf5f843c048b6af1d6e090760e9c92fadba88b7dee0205918a37523bd",
    "kodim02.png": "4f4b74a79237e311d72cad958237b5f7088d8bce1c82305ebefe1a70e3022dfd",
    "kodim03.png": "e25ca1ff2f0c0cb5fdfd5f9b0a0bb21ac4c3de3c84a67f35b09a85d3306249db",
    "kodim04.png": "e3b946107c5d3441c022f678d0c3caf1e224d81b1604ba840a4f88e562de61aa",
    "kodim05.png": "10349e963c5c813d327852f82c1795fa4148d69fedffc4c589bee458e3ac3d53",
    "kodim06.png": "363510303b715d4cbc384e1ce227e466b613a09e1b71ae985882bf8e7fbd9b18",
    "kodim07.png": "b77d3f006f42414bb242222e0482e750c0fb9e5ee8d4bed2f6f11c5605fe54a4",
    "kodim08.png": "ba23983c76b4832ee0e8af0592664756841a16779acd69f792e268fb6d13d6e7",
    "kodim09.png": "6a4361c2fc194feb4edaa9f9a4a0620fb9943e460ac7fdf037fb0f6dd6607a7d",
    "kodim10.png": "9dfb70f5867c29ff9ed6313683f19b3d867849e40fbc0c4c54a4a89df341cf23",
    "kodim11.png": "7936814b58b5387fce2e4e2488b4ec830dadd95fa9520f358ddb30990b50f2b6",
    "kodim12.png": "d78c37c2f04f23761ed2367dd77e2db584ddd4c3950833fecf89f199a8126980",
    "kodim13.png": "bc34a3ce58dea09dce1704c997171602de90cb34d0c8503a988b77f473d39b08",
    "kodim14.png": "55a94550ff18f3246c4074fd32b77b0c74447c26b6ad274d564d999c0450ba6e",
    "kodim15.png": "7538cbb80cb9103606c48b806eae57d56c885c7f90b9b3be70a41160f9cbb683",
    "kodim16.png": "a89c7268ccd4718ba424a99fc4643c572cf692ca6eae887185ceb4e9f11d2e54",
    "kodim17.png": "37afcc89fbdcb76d9518e04b2fc011027e2f4cd14b3b2f83cefd721641a47c5b",
    "kodim18.png": "1a9258c365988961d87a0598725b609139c303ad48a5aad6c503c3b1a87849aa",
    "kodim19.png": "b7450b264b1b0a411390d8931b112c27905a992520fc90569dc4b920aa32bbdc",
    "kodim20.png": "3b46c71e3b92a563820ba32936be8330c586c41f938efd94be938386aae4328a",
    "kodim21.png": "ac958597c82073f6bb65129c68f72b651db5b9efd82e11547d07350214bc268b",
    "kodim22.png": "1cee58eb1f2d9c7ebb254d208a03c783ce6cf2c4d8c2cf45e235dd23b4ce1b29",
    "kodim23.png": "e3111a2fd4da24af15d6459ef9eacfe54106b38e27b4a21821b75c3f5d2d5baf",
    "kodim24.png": "1071c68372cc5a01435c2c225a5cf7d4bb803846ec08bb6b3d6721b156d7cb96",
}


@dataclass(frozen=True)
class Dataset:
    """What the package knows about a named dataset."""

    name: str
    description: str
    count: int
    how_to_get: str
    url_template: str | None = None  # "{file}" is replaced by each file name
    sha256: dict[str, str] = field(default_factory=dict)


DATASETS: dict[str, Dataset] = {
    "kodak": Dataset(
        "kodak",
        "Kodak Lossless True Color Image Suite: 24 PNG, 768x512 or 512x768, unrestricted use",
        24,
        "downloaded automatically from r0k.us (call load('kodak') online), or put kodim01.png ... "
        "kodim24.png in a folder and pass root= or set $JPEGTUTOR_DATA",
        url_template="http://r0k.us/graphics/kodak/kodak/{file}",
        sha256=KODAK_SHA256,
    ),
    "live1": Dataset(
        "live1",
        "LIVE1: the 29 reference images of the LIVE IQA database (Release 2), PNG",
        29,
        "get testsets/LIVE1/*.bmp from the cszn/DnCNN repository (or the LIVE database at "
        "live.ece.utexas.edu) and convert them to PNG into $JPEGTUTOR_DATA/live1",
    ),
    "bsds500-test": Dataset(
        "bsds500-test",
        "BSDS500 test split: 200 JPEG images (quality 95, 4:2:0 at source), 481x321 or 321x481",
        200,
        "get BSDS500/data/images/test/*.jpg from the Berkeley BSDS500 release (BSR) into "
        "$JPEGTUTOR_DATA/bsds500-test",
    ),
    "train": Dataset(
        "train",
        "962 lossless 256x256 training crops (CLIC 2025, GB82, CID22), see its README",
        962,
        "build it as described in the README of the training set (shared/data/train/README.md), "
        "or point root= at any folder of your own training images",
    ),
    "lpips-check": Dataset(
        "lpips-check",
        "LPIPS sanity-check images from richzhang/PerceptualSimilarity (64x64)",
        3,
        "copy imgs/ex_ref.png, ex_p0.png, ex_p1.png from richzhang/PerceptualSimilarity",
    ),
}


class DatasetNotFoundError(ResourceNotFoundError):
    """A dataset could not be found; the message lists the places searched and how to get it."""


def _candidates(name: str, root: str | os.PathLike | None) -> list[Path]:
    places: list[Path] = []
    if root is not None:
        places.append(Path(root).expanduser())
    if os.environ.get("JPEGTUTOR_DATA"):
        places.append(Path(os.environ["JPEGTUTOR_DATA"]).expanduser() / name)
    repo = repo_root()
    if repo is not None:
        places.append(repo / "data" / name)
    places.extend(shared / "data" / name for shared in shared_dirs())
    places.append(cache_dir() / "data" / name)
    return places


def _has_images(folder: Path) -> bool:
    return folder.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.iterdir())


def locate(name: str | os.PathLike, *, root: str | os.PathLike | None = None,
           download: bool | None = None) -> Path:
    """The folder holding a dataset, given its name (see :data:`DATASETS`) or a folder path.

    ``download``: ``None`` (default) downloads a missing downloadable dataset unless
    ``$JPEGTUTOR_OFFLINE`` is set; ``False`` never downloads; ``True`` always may.
    """
    if isinstance(name, os.PathLike) or (isinstance(name, str) and name not in DATASETS):
        folder = Path(name).expanduser()
        if _has_images(folder):
            return folder
        if folder.is_dir():
            raise DatasetNotFoundError(f"folder {folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        raise DatasetNotFoundError(
            f"{str(name)!r} is neither a dataset name ({', '.join(DATASETS)}) nor an existing folder"
        )
    info = DATASETS[name]
    places = _candidates(name, root)
    for place in places:
        if _has_images(place):
            return place
    may_download = (not offline()) if download is None else download
    if info.url_template is not None and may_download:
        target = Path(os.environ["JPEGTUTOR_DATA"]) / name if os.environ.get("JPEGTUTOR_DATA") else places[-1]
        return download_dataset(name, target)
    searched = "\n".join(f"  - {p}" for p in places)
    raise DatasetNotFoundError(
        f"dataset {name!r} ({info.description}) was not found. Searched:\n{searched}\n"
        f"How to get it: {info.how_to_get}."
        + ("" if info.url_template is None else
           " (Automatic download is off: JPEGTUTOR_OFFLINE is set or download=False.)")
    )


def download_dataset(name: str, dest: str | os.PathLike, *, url_template: str | None = None) -> Path:
    """Download every file of a downloadable dataset into ``dest``, checking each SHA-256.

    Files already present with the right checksum are kept. ``url_template`` overrides the
    canonical URL (``"{file}"`` is replaced by the file name); the tests use a ``file://`` copy.
    """
    info = DATASETS.get(name)
    if info is None or info.url_template is None:
        raise ValueError(f"dataset {name!r} cannot be downloaded automatically; "
                         f"downloadable: {[d.name for d in DATASETS.values() if d.url_template]}")
    from .resources import sha256_file

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    template = url_template or info.url_template
    for file, digest in info.sha256.items():
        target = dest / file
        if target.is_file() and sha256_file(target) == digest:
            continue
        download(template.format(file=file), target, sha256=digest, desc=f"{name}/{file}")
    return dest


def image_paths(name: str | os.PathLike, *, root: str | os.PathLike | None = None,
                download: bool | None = None) -> list[Path]:
    """Sorted image files of a dataset (by name or folder)."""
    folder = locate(name, root=root, download=download)
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def load(name: str | os.PathLike, *, root: str | os.PathLike | None = None, limit: int | None = None,
         download: bool | None = None) -> list[np.ndarray]:
    """Load a dataset as a list of ``uint8 (H, W, 3)`` RGB arrays, in file-name order.

    ``limit`` keeps the first ``limit`` images. Greyscale or palette files are converted to RGB.
    """
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive int or None, got {limit!r}")
    paths = image_paths(name, root=root, download=download)
    return [read_image(p) for p in paths[:limit]]


def verify(name: str, *, root: str | os.PathLike | None = None) -> dict[str, bool]:
    """Check a dataset folder against its ``SHA256SUMS`` file (or the known Kodak checksums).

    Returns ``{file: ok}``; a file listed but missing counts as not ok.
    """
    from .resources import sha256_file

    folder = locate(name, root=root, download=False)
    sums = folder / "SHA256SUMS"
    if sums.is_file():
        expected = dict(reversed(line.split(maxsplit=1)) for line in sums.read_text().splitlines() if line.strip())
        expected = {k.strip(): v for k, v in expected.items()}
    elif name in DATASETS and DATASETS[name].sha256:
        expected = DATASETS[name].sha256
    else:
        raise ValueError(f"no checksums known for {name!r}: neither {sums} nor built-in ones exist")
    return {f: (folder / f).is_file() and sha256_file(folder / f) == d for f, d in expected.items()}


SAMPLES_DIR = PACKAGE_DIR / "samples"


def sample_paths() -> list[Path]:
    """The small sample images shipped inside the package (256x256 crops of Kodak images)."""
    return sorted(SAMPLES_DIR.glob("*.png"))


def load_sample(name: str = "kodim23") -> np.ndarray:
    """One shipped sample as ``uint8 (256, 256, 3)``; works without the repository (Colab)."""
    paths = {p.stem.split("-")[0]: p for p in sample_paths()}
    if name not in paths:
        raise ValueError(f"no sample named {name!r}; available: {sorted(paths)}")
    return read_image(paths[name])


class SamplesFallbackWarning(UserWarning):
    """A dataset was not found, so the package's sample images stand in for it (the quick profile)."""


def locate_or_samples(name: str) -> Path:
    """The folder of dataset ``name`` if it is found (or downloadable), else the package's four sample
    crops, with a :class:`SamplesFallbackWarning`: what a chapter uses in the quick profile on Colab
    or Binder, where ``live1`` and ``train`` cannot be downloaded."""
    try:
        return locate(name)
    except DatasetNotFoundError:
        warnings.warn(f"dataset {name!r} not found here; using the {len(sample_paths())} sample crops shipped with "
                      "the package instead (the numbers differ from the book's)", SamplesFallbackWarning, stacklevel=2)
        return SAMPLES_DIR
