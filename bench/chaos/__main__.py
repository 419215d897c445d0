"""python -m bench.chaos (make chaos). CHAOS_PHONES (100), CHAOS_SECONDS (600), CHAOS_PROFILE
(full; "short" is the CI form), CHAOS_DRAIN_SECONDS, CHAOS_SEED. Exit 0 when every "must be 0"
figure is 0, 1 when one is not, 2 when the run itself broke."""

import os
import sys
from pathlib import Path

from .run import Config, Run


def main() -> int:
    profile = os.environ.get("CHAOS_PROFILE", "full")
    short = profile == "short"
    config = Config(
        phones=int(os.environ.get("CHAOS_PHONES", "20" if short else "100")),
        seconds=float(os.environ.get("CHAOS_SECONDS", "90" if short else "600")),
        profile=profile,
        seed=int(os.environ.get("CHAOS_SEED", "19")),
        drain_seconds=float(os.environ.get("CHAOS_DRAIN_SECONDS", "150" if short else "600")),
    )
    if os.environ.get("CHAOS_OUT"):
        config.out_dir = Path(os.environ["CHAOS_OUT"])
    return Run(config).main()


if __name__ == "__main__":
    sys.exit(main())
