"""``python -m ebtrail.verifier`` (the same as ``ebtrail-verify``): see :mod:`ebtrail.verifier.cli`."""

from ebtrail.verifier.cli import main

if __name__ == "__main__":
    main()
