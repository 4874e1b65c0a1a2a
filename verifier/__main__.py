"""``python -m verifier``: see :mod:`verifier.cli`."""

from verifier.cli import main

if __name__ == "__main__":
    main()
