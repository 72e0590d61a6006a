"""jpegtutor: learned pre-editing for JPEG, the package behind the book.

Subpackages follow the data path (see DESIGN.md): ``jpeg`` (the real codec), ``metrics``,
``data``, ``runtime``; later ``diff``, ``rate``, ``editors``, ``neuralop``, ``train``, ``eval``.
"""

__version__ = "0.1.0"
