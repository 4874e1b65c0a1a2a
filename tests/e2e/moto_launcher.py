"""Start ``moto_server`` with ebtrail's CloudFormation support module loaded (see ``moto_cloudformation``).

    .venv/bin/python tests/e2e/moto_launcher.py -p PORT

Arguments are moto_server's own. The support module is imported first, in this process, so that the server's
CloudFormation backend parses templates with its models.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from moto.server import main

import tests.e2e.moto_cloudformation  # noqa: F401  (registers the models on import)

if __name__ == "__main__":
    main(sys.argv[1:])
