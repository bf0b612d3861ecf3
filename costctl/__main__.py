"""Allow ``python -m costctl``."""

from costctl.cli import main

if __name__ == "__main__":
    main()
