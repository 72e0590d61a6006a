"""jpegtutor: learned pre-editing for JPEG, the package behind the book.

Subpackages follow the data path, in layers (DESIGN.md; ``tests/test_layers.py`` enforces them):
``registry`` and the core (``runtime``, ``resources``, ``image``, ``files``, ``checks``, ``datasets``,
``zoo``) < ``jpeg`` (the real codec and the classical encoders) < ``diff``, ``metrics`` < ``rate``,
``eval`` < ``train`` < ``editors`` < the leaves ``cli``, ``experiments``, ``book``, ``viz``, ``widgets``.
"""

__version__ = "0.1.0"
