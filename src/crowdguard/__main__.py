"""``python -m crowdguard``."""

from crowdguard.cli.main import main

main()
